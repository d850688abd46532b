internal import ArgumentParser
internal import LedgeCore
internal import LedgeEngine

/// How photos become a float model's input, for the commands that feed photos to a model
/// (`classify`, `quantize`): per-channel mean and std, and the size of a dynamic input.
struct PreprocessOptions: ParsableArguments {
    @Option(help: "Per-channel mean for float inputs on the [0,1] scale, e.g. 0.485,0.456,0.406 (ignored when the model's metadata gives one).")
    var mean: String?

    @Option(help: "Per-channel std for float inputs on the [0,1] scale, e.g. 0.229,0.224,0.225.")
    var std: String?

    @Option(name: .customLong("input-size"), help: "Input HxW for models with dynamic height/width, e.g. 48x192.")
    var inputSize: String?

    /// The classifier options these make, with `labels` and `exactDecode`.
    func classifierOptions(labels: String? = nil, exactDecode: Bool = false) throws -> ClassifierOptions {
        ClassifierOptions(
            labelsPath: labels, mean: try mean.map { try Self.floats($0, option: "--mean") },
            std: try std.map { try Self.floats($0, option: "--std") },
            inputSize: try inputSize.map { try ImageSize.parse(heightByWidth: $0) }, exactDecode: exactDecode)
    }

    static func floats(_ text: String, option: String) throws -> [Float] {
        let parts = text.split(separator: ",").map { Float($0.trimmingWhitespace()) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw LedgeError.usage("\(option): expected comma-separated numbers (e.g. 0.485,0.456,0.406), got '\(text)'")
        }
        let values = parts.map { $0! }
        if option == "--std", values.contains(0) { throw LedgeError.usage("--std: values must not be 0, got '\(text)'") }
        return values
    }
}
