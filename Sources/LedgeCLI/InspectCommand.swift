internal import ArgumentParser
internal import LedgeCore
internal import LedgeEngine
internal import LedgeLiteRT

/// `ledge inspect MODEL [--json]`: tensors, quantization, metadata, operators.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's inputs, outputs, dtypes, shapes, quantization, metadata and operators.")

    @Argument(
        help:
            "The model file (.tflite or .onnx; the format is read from the content), a model folder (e.g. a downloaded Hugging Face repository), or its URI: https://, s3://, gs://, hf:// (fetched into the model cache)."
    )
    var model: String

    @Flag(help: "Print JSON (keys documented in the README).")
    var json = false

    @Option(
        help:
            "Check readiness for an accelerator: edgetpu (every tensor 8-bit, every operator on Coral's supported list; exit 1 when not ready).")
    var target: String?

    func validate() throws {
        if let target, target != "edgetpu" { throw ValidationError("--target must be edgetpu, got '\(target)'") }
    }

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let logger = ConsoleLogHandler.logger(verbose: runtime.verbose)
        let model = try ModelURIOptions.localModel(self.model, logger: logger)
        CrashGuard.watch(model)
        let session = try ModelLoader.open(path: model, options: runtime.engineOptions, logger: logger)
        let report = InspectReport(info: session.info)
        print(json ? try report.jsonString() : InspectText.render(report))
        guard target != nil else { return }
        let file = try ModelFile(path: model)
        guard file.format == .tflite else {
            throw LedgeError.invalidModel("--target edgetpu: \(model) is an ONNX model: the Edge TPU runs TFLite models only")
        }
        let readiness = EdgeTPUReadiness(model: try TFLiteModel(data: file.data, path: model))
        print(readiness.lines.joined(separator: "\n"))
        if readiness.verdict != .ready { throw ExitCode(1) }
    }
}
