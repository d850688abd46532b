#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
public import LedgeEngine
internal import LedgeBench
internal import LedgeONNX
internal import LedgeONNXModel
public import Logging

/// `ledge quantize`: reads a float ONNX model, prepares it, quantizes it (static QDQ with
/// calibration, or dynamic), checks that ONNX Runtime loads the result before writing it
/// atomically, then compares it with the float model and times both.
public struct ModelQuantizer: Sendable {
    public let options: QuantizeOptions
    public let engine: EngineOptions
    public let logger: Logger

    public init(options: QuantizeOptions, engine: EngineOptions = EngineOptions(), logger: Logger) {
        self.options = options
        self.engine = engine
        self.logger = logger
    }

    /// Quantizes the model at `input` into `output` and reports.
    public func run(input: String, output: String) throws -> QuantizeReport {
        let started = ContinuousClock.now
        let original = try ModelFile(path: input)
        guard original.format == .onnx else {
            throw LedgeError.invalidModel(
                "\(input): a TFLite model: ledge quantize takes ONNX models only (a TFLite model is quantized when TensorFlow's converter writes it)")
        }
        var file = try ONNXModelFile.read(input)
        try Self.refuseQuantized(file)
        let runtime = try ONNXRuntime.shared(libraryPath: engine.onnxRuntimeLibrary)
        let threads = options.threads ?? SessionOptions.defaultThreads
        let floatSession = try ONNXSession(file: original, options: SessionOptions(threads: threads), runtime: runtime, logger: logger)

        let summary = try ModelPreparation.prepare(&file)
        // An --exclude that names no node and no operator type of the model is a typo, not a wish.
        let known = Set(file.model.graph.node.flatMap { [$0.name, $0.opType] })
        if let unknown = options.exclude.first(where: { !known.contains($0) }) {
            throw LedgeError.usage("--exclude \(unknown): no node or operator type of \(input) is called so")
        }
        let outcome: QDQQuantizer.Outcome
        var calibrationCount = 0
        if options.dynamic {
            outcome = try DynamicQuantizer(exclude: Set(options.exclude), weightRange: options.weightRange).quantize(file)
        } else {
            guard let folder = options.calibration else {
                throw LedgeError.usage("--calibration DIR: expected a folder of calibration images or .npy tensors (or --dynamic, which needs none)")
            }
            let inputs = try CalibrationData.load(directory: folder, option: "--calibration", info: floatSession.info, classifier: options.classifier)
            calibrationCount = inputs.count
            let quantizer = QDQQuantizer(activationType: options.activationType, weightRange: options.weightRange, exclude: Set(options.exclude))
            let calibrator = try Calibrator(
                model: file, tensors: quantizer.calibrationTensors(file.model.graph), inputs: inputs, runtime: runtime, threads: threads)
            let ranges = try calibrator.ranges(method: options.method, percentile: options.percentile)
            outcome = try quantizer.quantize(file, ranges: ranges)
        }
        guard !outcome.quantized.isEmpty else {
            throw LedgeError.invalidModel(
                "\(input): no node could be quantized (\(options.dynamic ? "dynamic quantization takes MatMul and Gemm with constant weights" : "no Conv, Gemm, MatMul, Add, Mul, pooling or shape node with calibrated inputs"))"
            )
        }
        let bytes = Data(try outcome.model.serialized())
        let quantizedFile = ModelFile(onnx: bytes, path: output)
        let quantizedSession: ONNXSession
        do {
            quantizedSession = try ONNXSession(file: quantizedFile, options: SessionOptions(threads: threads), runtime: runtime, logger: logger)
        } catch {
            throw LedgeError(
                .runtimeFailure,
                "\(input): ONNX Runtime refused the quantized model, nothing written: \((error as? LedgeError)?.message ?? "\(error)")")
        }
        try AtomicFile.write(bytes: [UInt8](bytes), to: output, option: "--output")
        // A Hugging Face export's labels and image recipe go with it (as Optimum's quantizer saves them).
        let configs = try ModelSidecar.copy(besides: input, to: output)
        let quantizeMs = (ContinuousClock.now - started).milliseconds

        let agreement = try compare(floatSession, quantizedSession, info: floatSession.info)
        let latency = try timing(input: input, output: output, threads: threads)
        return QuantizeReport(
            model: input, output: output, mode: options.dynamic ? "dynamic" : "static",
            method: options.dynamic ? nil : options.method.rawValue, calibration_inputs: calibrationCount, weight_limit: options.weightRange.limit,
            cpu_without_vnni: Int8Saturation.onThisMachine,
            size_before: original.data.count, size_after: bytes.count, constants_folded: summary.constantsFolded,
            opset_raised_from: summary.opsetFrom, batch_norms_folded: summary.batchNormsFolded, biases_folded: summary.biasesFolded,
            activations_folded: outcome.activationsFolded, quantized_nodes: outcome.quantized, float_nodes: outcome.float,
            agreement: agreement, latency: latency, quantize_ms: quantizeMs, config_files_copied: configs)
    }

    /// A model that already holds quantization operators is refused: quantizing twice loses accuracy for nothing.
    static func refuseQuantized(_ file: ONNXModelFile) throws {
        let quantized: Set = [
            "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger",
        ]
        let found = file.model.graph.node.filter { quantized.contains($0.opType) }
        if let first = found.first {
            throw LedgeError.invalidModel(
                "\(file.path): already quantized (\(found.count) quantization nodes, the first '\(first.name)' (\(first.opType))): expected a float model"
            )
        }
    }

    /// Top-1 agreement and |Δ| of the first output on the validation inputs (the calibration
    /// folder when none is given; seeded random inputs when there is neither).
    private func compare(_ float: ONNXSession, _ quantized: ONNXSession, info: ModelInfo) throws -> QuantizeReport.Agreement? {
        let folder = options.validation ?? options.calibration
        let inputs: [[Tensor]]
        if let folder {
            inputs = try CalibrationData.load(
                directory: folder, option: options.validation == nil ? "--calibration" : "--validate", info: info, classifier: options.classifier)
        } else {
            inputs = try (0..<8).map {
                try InputFactory.random(
                    specs: info.inputs, batch: 1, inputSize: options.classifier.inputSize, seed: UInt64($0), recipe: info.metadata.recipe)
            }
        }
        var rows = 0, agreeing = 0, sum = 0.0, count = 0, worst = 0.0
        for sample in inputs {
            guard let a = try float.run(sample).first, let b = try quantized.run(sample).first, a.dtype == .float32, b.dtype == .float32,
                a.shape == b.shape
            else { return nil }
            let (x, y) = (a.values(as: Float.self), b.values(as: Float.self))
            let width = max(a.shape.last ?? 1, 1)
            for row in 0..<(x.count / width) {
                let slice = row * width..<(row + 1) * width
                rows += 1
                if x[slice].indices.max(by: { x[$0] < x[$1] }) == y[slice].indices.max(by: { y[$0] < y[$1] }) { agreeing += 1 }
            }
            for (p, q) in zip(x, y) {
                let delta = Double(abs(p - q))
                sum += delta
                worst = max(worst, delta)
                count += 1
            }
        }
        guard rows > 0 else { return nil }
        return QuantizeReport.Agreement(
            inputs: inputs.count, top1_percent: 100 * Double(agreeing) / Double(rows), mean_abs_diff: sum / Double(max(count, 1)),
            max_abs_diff: worst, source: folder ?? "random")
    }

    /// Both models' run p50 with the bench runner, on the same inputs, one after the other.
    private func timing(input: String, output: String, threads: Int) throws -> QuantizeReport.Latency? {
        guard options.benchRuns > 0 else { return nil }
        let bench = BenchOptions(
            warmup: 5, runs: options.benchRuns, batches: [1], imagesDirectory: nil, inputSize: options.classifier.inputSize)
        var engine = self.engine
        engine.session = SessionOptions(threads: threads)
        let runner = BenchRunner(options: bench, engine: engine, logger: logger)
        let float = try runner.run(model: input, threads: threads, provider: nil)
        let int8 = try runner.run(model: output, threads: threads, provider: nil)
        return QuantizeReport.Latency(
            runs: options.benchRuns, threads: threads, float_p50_ms: float.latency_ms.p50, int8_p50_ms: int8.latency_ms.p50)
    }
}
