public import ArgumentParser
internal import LedgeCore

/// The `ledge` command: inspect, classify, bench and serve edge ML models.
public struct Ledge: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ledge",
        abstract: "Take a trained model to the edge: inspect, classify, bench and serve TFLite and ONNX models.",
        discussion: """
            Exit codes: 0 ok; 1 a budget or check failed; 2 usage; 3 input or model error; 4 runtime or library error.
            Runtime libraries are found by flag, then LEDGE_ORT_LIBRARY / LEDGE_LITERT_LIBRARY, then the \
            set-up folder (.ledge/runtimes, or LEDGE_HOME), then a Python site-packages holding the wheel.
            """,
        version: LedgeVersion.current,
        subcommands: [
            InspectCommand.self, ClassifyCommand.self, BenchCommand.self, QuantizeCommand.self, ServeCommand.self, PackageCommand.self,
            DeployCommand.self,
            ProbeCommand.self,
        ]
    )

    public init() {}
}
