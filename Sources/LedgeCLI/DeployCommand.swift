internal import ArgumentParser

/// `ledge deploy`: take packaged models to clusters (and, next, to fleets of devices over SSH).
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy packaged models: Kubernetes and KubeEdge manifests (SSH fleets are next).",
        subcommands: [DeployK8sCommand.self])
}
