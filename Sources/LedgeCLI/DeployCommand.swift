internal import ArgumentParser

/// `ledge deploy`: take packaged models to clusters (and, next, to fleets of devices over SSH).
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy models: to devices over SSH (apply, status, bench), or as Kubernetes and KubeEdge manifests (k8s).",
        subcommands: [DeployApplyCommand.self, DeployStatusCommand.self, DeployBenchCommand.self, DeployK8sCommand.self])
}
