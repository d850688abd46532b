internal import CLiteRT
public import LedgeCore
public import Logging
import Synchronization

/// A TFLite model compiled by LiteRT for the CPU (XNNPACK), run through signature 0.
///
/// The file is validated by ``TFLiteModel`` before LiteRT sees it. Input and
/// output buffers are created once (64-byte aligned host memory) and recreated
/// only when a dynamic input dimension changes. Runs are serialized by a mutex.
public final class LiteRTSession: InferenceSession {
    public let info: ModelInfo
    /// The parsed flatbuffer.
    public let model: TFLiteModel
    private let runtime: LiteRTRuntime
    private let logger: Logger
    private let state: Mutex<RunState>
    /// The XNNPACK workers of a multi-thread session, kept off the running thread's core.
    let placement: WorkerPlacement?
    /// Always `cpu`: LiteRT runs the model on the CPU (XNNPACK).
    public var executionProvider: String? { "cpu" }

    /// Validates and compiles `file` with `options.threads` XNNPACK threads
    /// (default: ``SessionOptions/defaultThreads``), with `weightCache` as XNNPACK's weight
    /// cache file when given (read when it holds the packed weights, written when missing).
    ///
    /// `modelCopyFolder`: when this session is the first of `file` to compile, the model's bytes
    /// that LiteRT keeps are written to an unnamed file there and mapped (``ModelCopy``), else
    /// they are copied into memory; the sessions of one file share what the first one made.
    public init(
        file: ModelFile, options: SessionOptions = SessionOptions(), runtime: LiteRTRuntime, weightCache: String? = nil,
        modelCopyFolder: String? = nil, logger: Logger = Logger(label: "ledge.litert")
    ) throws {
        guard file.format == .tflite else {
            throw LedgeError.invalidModel("\(file.path): not a TFLite model (expected 'TFL3' at bytes 4-7)")
        }
        let threads = options.threads ?? SessionOptions.defaultThreads
        guard threads >= 1 else { throw LedgeError.invalidInput("threads: expected at least 1, got \(threads)") }
        let model = try TFLiteModel(data: file.data, path: file.path)
        var metadata = try model.modelMetadata(data: file.data, path: file.path)
        try metadata.addSidecar(besides: file.path)
        self.model = model
        self.runtime = runtime
        self.logger = logger
        // The file's aligned bytes, read by LiteRT for the model's lifetime (the model object keeps them);
        // shared by every session opened from `file` (a TFLite ModelFile always has them).
        // (Never nil here: the format was checked above.)
        guard let storage = file.sharedStorage({ ModelCopy.mapped($0, in: modelCopyFolder, path: file.path, logger: logger) }) else {
            throw LedgeError.invalidModel("\(file.path): not a TFLite model (expected 'TFL3' at bytes 4-7)")
        }

        // LiteRT's log lines go to our logger; every error names the file.
        let ((state, signatures), placement) = try Self.named(file.path) {
            try withTFLiteErrorsCaptured(logger: logger) {
                let compile = {
                    try Self.compile(file: file, storage: storage, model: model, threads: threads, weightCache: weightCache, runtime: runtime)
                }
                return threads > 1 ? try WorkerPlacement.finding(compile) : (try compile(), nil)
            }
        }
        // Compiled: what LiteRT reads of the model again (the graph; the weights only where XNNPACK
        // does not run the op or packs them anew) comes back from the page cache as it is read.
        storage.dropResidentPages()
        self.state = Mutex(state)
        self.placement = placement
        var info = ModelInfo(
            path: file.path, format: .tflite, runtimeVersion: runtime.version, sizeBytes: file.data.count,
            inputs: signatures.inputs, outputs: signatures.outputs, signatures: signatures.keys,
            metadata: metadata, operators: model.operatorSummary)
        info.quantized = model.quantizedVerdict
        self.info = info
        logger.debug(
            "compiled \(file.path) with LiteRT \(runtime.version), \(threads) thread(s)\(placement.map { ", workers \($0.workers) kept off the running thread's core" } ?? "")"
        )
    }

    /// Creates the LiteRT model, reads its signature and compiles it, with the input and output buffers.
    private static func compile(
        file: ModelFile, storage: TensorStorage, model: TFLiteModel, threads: Int, weightCache: String?,
        runtime: LiteRTRuntime
    ) throws -> (RunState, SignatureReader) {
        let api = runtime.api
        // Each object keeps what it depends on: a failure at any step destroys what was made, in order.
        var handle: OpaquePointer?
        let status = api.pointee.CreateModelFromBuffer(runtime.environment, storage.baseAddress, storage.byteCount, &handle)
        guard status == LEDGE_LITERT_OK, let handle else {
            throw LedgeError.invalidModel(
                "\(file.path): LiteRT cannot load the model (\(String(cString: ledge_litert_status_text(status))))")
        }
        let liteModel = LiteRTObject(handle, keeping: [runtime, storage]) { api.pointee.DestroyModel($0) }
        let signatures = try liteModel.withPointer {
            try SignatureReader(runtime: runtime, model: $0, reader: model, path: file.path)
        }
        var rawOptions: OpaquePointer?
        try runtime.check(
            ledge_litert_create_cpu_options(api, Int32(clamping: threads), weightCache, &rawOptions),
            "creating compilation options")
        guard let rawOptions else { throw LedgeError.runtimeFailure("LiteRT: creating compilation options returned none") }
        let compileOptions = LiteRTObject(rawOptions, keeping: [runtime]) { api.pointee.DestroyOptions($0) }
        return try {
            var compiled: OpaquePointer?
            let compileStatus = liteModel.withPointer { model in
                compileOptions.withPointer { api.pointee.CreateCompiledModel(runtime.environment, model, $0, &compiled) }
            }
            guard compileStatus == LEDGE_LITERT_OK, let compiled else {
                throw LedgeError.runtimeFailure(
                    "LiteRT: compiling \(file.path) failed: \(String(cString: ledge_litert_status_text(compileStatus))) (status \(compileStatus))")
            }
            var state = RunState(
                runtime: runtime,
                compiled: LiteRTObject(compiled, keeping: [compileOptions, liteModel]) { api.pointee.DestroyCompiledModel($0) },
                inputTypes: signatures.inputTypes, outputTypes: signatures.outputTypes)
            // Dynamic input dimensions start at 1.
            let shapes = signatures.inputs.map { $0.shape.map { $0 < 0 ? 1 : $0 } }
            for (i, (shape, spec)) in zip(shapes, signatures.inputs).enumerated() where spec.isDynamic {
                try runtime.check(
                    api.pointee.CompiledModelResizeInputTensor(compiled, 0, i, shape.map { Int32(clamping: $0) }, shape.count),
                    "resizing input '\(spec.name)' to \(shape)")
            }
            try state.createBuffers(inputShapes: shapes, inputSpecs: signatures.inputs, outputSpecs: signatures.outputs)
            return (state, signatures)
        }()
    }

    /// `body`'s errors with the file's path in front, unless they name it already.
    private static func named<R>(_ path: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as LedgeError where !error.message.contains(path) {
            throw LedgeError(error.code, "\(path): \(error.message)")
        }
    }

    /// Runs signature 0 on `inputs` (one tensor per input, in ``ModelInfo/inputs`` order).
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        try validate(inputs)
        let api = runtime.api
        return try state.withLock { state -> [Tensor] in
            let shapes = inputs.map(\.shape)
            if shapes != state.inputs.map(\.shape) {
                for (i, (shape, current)) in zip(shapes, state.inputs.map(\.shape)).enumerated() where shape != current {
                    try state.compiled.withPointer { compiled in
                        try runtime.check(
                            api.pointee.CompiledModelResizeInputTensor(compiled, 0, i, shape.map { Int32(clamping: $0) }, shape.count),
                            "resizing input '\(info.inputs[i].name)' to \(shape)")
                    }
                }
                try state.createBuffers(inputShapes: shapes, inputSpecs: info.inputs, outputSpecs: info.outputs)
                logger.debug("recreated LiteRT buffers for input shapes \(shapes)")
            }
            for (tensor, buffer) in zip(inputs, state.inputs) {
                let count = min(tensor.byteCount, buffer.storage.byteCount)
                tensor.withUnsafeBytes { source in
                    if let base = source.baseAddress { buffer.storage.baseAddress.copyMemory(from: base, byteCount: count) }
                }
            }
            placement?.place()
            try state.compiled.withPointer { compiled in
                try LiteRTObject.withPointers(state.inputs.map(\.buffer)) { inputHandles in
                    try LiteRTObject.withPointers(state.outputs.map(\.buffer)) { outputHandles in
                        try runtime.check(
                            api.pointee.RunCompiledModel(compiled, 0, inputHandles.count, &inputHandles, outputHandles.count, &outputHandles),
                            "running the model")
                    }
                }
            }
            return zip(state.outputs, info.outputs).map { buffer, spec in
                var tensor = Tensor(dtype: spec.dtype, shape: buffer.shape)
                let count = min(tensor.byteCount, buffer.storage.byteCount)
                tensor.withUnsafeMutableBytes { target in
                    if let base = target.baseAddress { base.copyMemory(from: buffer.storage.baseAddress, byteCount: count) }
                }
                return tensor
            }
        }
    }
}

/// Runs `body` with TFLite's stderr output captured: the runtime's log lines
/// go to `logger` at debug level (never straight to stderr), and on failure the
/// first interpreter `ERROR:` line is folded into the thrown one-line error.
func withTFLiteErrorsCaptured<R>(logger: Logger, _ body: () throws -> R) throws -> R {
    var lines = [CChar](repeating: 0, count: 8192)
    var detail = [CChar](repeating: 0, count: 512)
    func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    func logRuntimeLines() {
        for line in text(lines).split(separator: "\n") { logger.debug("LiteRT: \(line)") }
    }
    let window = ledge_litert_stderr_quiet_begin()
    do {
        let result = try body()
        ledge_litert_stderr_quiet_end(window, &lines, lines.count, nil, 0)
        logRuntimeLines()
        return result
    } catch let error as LedgeError {
        ledge_litert_stderr_quiet_end(window, &lines, lines.count, &detail, detail.count)
        logRuntimeLines()
        let first = text(detail)
        throw first.isEmpty ? error : error.appending(detail: first)
    } catch {
        ledge_litert_stderr_quiet_end(window, &lines, lines.count, nil, 0)
        logRuntimeLines()
        throw error
    }
}
