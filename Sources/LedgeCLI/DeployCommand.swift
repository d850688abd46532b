internal import ArgumentParser

/// `ledge deploy`: take models to fleets of devices over SSH and to Kubernetes/KubeEdge clusters.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract:
            "Deploy models: to devices over SSH (apply, status, bench, rollback, logs, remove), or as Kubernetes and KubeEdge manifests (k8s).",
        subcommands: [
            DeployApplyCommand.self, DeployStatusCommand.self, DeployBenchCommand.self, DeployRollbackCommand.self, DeployLogsCommand.self,
            DeployRemoveCommand.self, DeployK8sCommand.self,
        ])
}
