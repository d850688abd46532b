internal import ArgumentParser
internal import LedgeCore
internal import LedgeEngine

/// `ledge inspect MODEL [--json]`: tensors, quantization, metadata, operators.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's inputs, outputs, dtypes, shapes, quantization, metadata and operators.")

    @Argument(help: "The model file (.tflite or .onnx; the format is read from the content).")
    var model: String

    @Flag(help: "Print JSON (keys documented in the README).")
    var json = false

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let logger = ConsoleLogHandler.logger(verbose: runtime.verbose)
        CrashGuard.watch(model)
        let session = try ModelLoader.open(path: model, options: runtime.engineOptions, logger: logger)
        let report = InspectReport(info: session.info)
        print(json ? try report.jsonString() : InspectText.render(report))
    }
}
