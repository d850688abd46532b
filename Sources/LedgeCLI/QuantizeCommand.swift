internal import ArgumentParser
internal import LedgeCore
internal import LedgeEngine
internal import LedgeQuantize

/// `ledge quantize MODEL.onnx -o OUT.onnx --calibration DIR`: INT8 in the QDQ form ONNX Runtime
/// fuses (or `--dynamic`), with the accuracy it cost and the speed it bought, measured.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize an ONNX model to INT8: static QDQ calibrated on your images (or .npy tensors), or dynamic (weights only).",
        discussion: """
            Before quantizing, Constant weights become initializers, opsets 11 and 12 are raised to 13 and \
            BatchNormalization is folded into the Conv before it. The report compares the int8 model with \
            the float one on --validate (default: the calibration folder) and times both with the bench runner.
            """)

    @Argument(help: "The float ONNX model, its model folder, or its URI: https://, s3://, gs://, hf:// (fetched into the model cache).")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the quantized model (written whole or not at all).")
    var output: String

    @Option(help: "Folder of calibration images (.jpg, .jpeg, .png: preprocessed as ledge classify does) or .npy float32 tensors.")
    var calibration: String?

    @Option(name: .customLong("validate"), help: "Folder the float and int8 models are compared on (default: the calibration folder).")
    var validation: String?

    @Option(help: "Calibration: minmax, percentile or entropy.")
    var method = CalibrationMethod.minmax.rawValue

    @Option(help: "For --method percentile: the percentile kept (its complement is cut at the low end).")
    var percentile = 99.999

    @Option(help: "Activation type: uint8 or int8 (weights are always int8, symmetric, per channel: see --reduce-range).")
    var activations = ActivationType.uint8.rawValue

    @Option(help: "A node name or operator type to leave in float; repeat or separate with commas.")
    var exclude: [String] = []

    @Flag(help: "Dynamic quantization: MatMul/Gemm weights only, activations quantized at run time; no calibration.")
    var dynamic = false

    @Flag(
        name: .customLong("reduce-range"),
        help: ArgumentHelp(
            "Weights on 7 bits (±64), as ONNX Runtime's reduce_range: for x86 CPUs without VNNI (AVX2, AVX-512F).",
            discussion: "Their int8 kernels add pairs of uint8 × int8 products in 16 bits, which saturates with full-range weights."))
    var reduceRange = false

    @Option(name: .customLong("min-agreement"), help: "Exit 1 when the top-1 agreement with the float model is below this percentage.")
    var minAgreement: Double?

    @Option(name: .customLong("bench-runs"), help: "Runs of each model timed for the latency comparison (0: skip).")
    var benchRuns = 50

    @OptionGroup var preprocess: PreprocessOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if CalibrationMethod(rawValue: method) == nil { throw ValidationError("--method must be minmax, percentile or entropy, got '\(method)'") }
        if ActivationType(rawValue: activations) == nil { throw ValidationError("--activations must be uint8 or int8, got '\(activations)'") }
        if dynamic, calibration != nil { throw ValidationError("--dynamic needs no --calibration: give one or the other") }
        if !dynamic, calibration == nil { throw ValidationError("give --calibration DIR (images or .npy tensors), or --dynamic") }
        if !(percentile > 50 && percentile <= 100) { throw ValidationError("--percentile must be above 50 and at most 100, got \(percentile)") }
        if let minAgreement, !(0...100).contains(minAgreement) {
            throw ValidationError("--min-agreement must be between 0 and 100, got \(minAgreement)")
        }
        if benchRuns < 0 { throw ValidationError("--bench-runs must be 0 or more, got \(benchRuns)") }
    }

    func run() throws {
        let logger = ConsoleLogHandler.logger(verbose: runtime.verbose)
        let classifier = try preprocess.classifierOptions()
        let options = QuantizeOptions(
            calibration: calibration, validation: validation, method: CalibrationMethod(rawValue: method) ?? .minmax, percentile: percentile,
            activationType: ActivationType(rawValue: activations) ?? .uint8, weightRange: reduceRange ? .reduced : .full,
            exclude: exclude.flatMap { $0.split(separator: ",").map(String.init) }, dynamic: dynamic,
            threads: runtime.engineOptions.session.threads, benchRuns: benchRuns, classifier: classifier)
        let model = try ModelURIOptions.localModel(self.model, logger: logger)
        try AtomicFile.checkDirectory(of: output, option: "--output")
        try AtomicFile.checkNotInput(output, inputs: [model], option: "--output")
        CrashGuard.watch(model)
        let report = try ModelQuantizer(options: options, engine: runtime.engineOptions, logger: logger).run(input: model, output: output)
        print(json ? try QuantizeText.json(report) : QuantizeText.table(report))
        if let minAgreement {
            guard let agreement = report.agreement?.top1_percent else {
                throw LedgeError.invalidInput("--min-agreement: the model's first output is not float scores, so no agreement was measured")
            }
            if agreement < minAgreement {
                StandardStreams.writeError(
                    "error: top-1 agreement \(QuantizeText.percent(agreement)) is below --min-agreement \(QuantizeText.percent(minAgreement))\n")
                throw ExitCode(1)
            }
        }
    }
}
