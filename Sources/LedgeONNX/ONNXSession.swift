internal import CONNXRuntime
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
public import Logging
internal import Synchronization

/// A model loaded into ONNX Runtime, ready to run.
///
/// Runs are serialized by a lock, so one session can be shared between
/// threads; create several sessions for parallel runs. Inputs are handed to
/// the runtime without copying and outputs are adopted without copying.
public final class ONNXSession: InferenceSession {
    public let info: ModelInfo
    /// The execution provider in use, by Ledge's short name (`cpu`, `cuda`, …):
    /// CPU when the requested one was unavailable.
    public let provider: String
    /// ``provider``, as every ``InferenceSession`` reports it.
    public var executionProvider: String? { provider }
    /// The intra-op thread count the session was created with.
    public let threads: Int
    /// The runtime the session lives in.
    public let runtime: ONNXRuntime

    let session: ORTHandle
    let inputNames: CStringList
    let outputNames: CStringList
    private let lock = Mutex(())
    /// The options every run is made with: ``interrupt(reason:)`` sets their terminate flag.
    private let runOptions: ORTHandle
    /// Why runs are interrupted (``interrupt(reason:)``); `nil`: they are not.
    private let interruption = Mutex<String?>(nil)

    /// Loads `file` (an ONNX model already read into memory) into `runtime`,
    /// or the optimized graph `graph` carries for it (``ONNXGraph``; the model's
    /// description still comes from `file`).
    ///
    /// Intra-op threads are `options.threads`, else ``SessionOptions/defaultThreads``; they
    /// are always set explicitly because ONNX Runtime ignores container CPU
    /// limits. An unavailable provider is logged to `logger` as a warning and
    /// CPU is used. Throws ``LedgeError/invalidModel(_:)`` when the runtime
    /// cannot load the model.
    ///
    /// With `weights` and an optimized `graph` read from `graphFile`, the session takes the graph's
    /// initializers from the share, and their pre-packed forms (packed there by the first session
    /// that needs them; ``ONNXWeightShare``): the sessions of one share hold one copy.
    public init(
        file: ModelFile, options: SessionOptions = SessionOptions(), runtime: ONNXRuntime, graph: ONNXGraph = .optimize,
        weights: ONNXWeightShare? = nil, graphFile: ONNXGraphFile? = nil, logger: Logger = Logger(label: "ledge.onnx")
    ) throws {
        guard file.format == .onnx else {
            throw LedgeError.invalidModel("\(file.path): expected an ONNX model, got a \(file.format.rawValue) model")
        }
        let threads = options.threads ?? SessionOptions.defaultThreads
        guard threads >= 1 else {
            throw LedgeError.invalidInput("threads: expected at least 1, got \(threads)")
        }
        let api = runtime.api
        self.runtime = runtime
        self.threads = threads

        var sessionOptions: OpaquePointer?
        do throws(ORTFailure) {
            try api.check(api.raw.create_session_options(&sessionOptions))
        } catch {
            throw error.asRuntimeFailure
        }
        guard let sessionOptions else { throw LedgeError.runtimeFailure("onnxruntime: CreateSessionOptions returned nothing") }
        let optionsHandle = ORTHandle(sessionOptions) { api.raw.release_session_options($0) }
        let settings = options.onnxRuntime
        do throws(ORTFailure) {
            try api.check(api.raw.set_intra_op_threads(sessionOptions, Int32(clamping: threads)))
            let interOp = settings.interOpThreads ?? (settings.parallel ? threads : 1)
            try api.check(api.raw.set_inter_op_threads(sessionOptions, Int32(clamping: interOp)))
            try api.check(api.raw.set_session_execution_mode(sessionOptions, settings.parallel ? LEDGE_ORT_PARALLEL : LEDGE_ORT_SEQUENTIAL))
            switch graph {
            case .optimize:
                try api.check(api.raw.set_graph_optimization_level(sessionOptions, Self.level(settings.graphLevel)))
            case .optimizeSaving(let path):
                try api.check(api.raw.set_graph_optimization_level(sessionOptions, Self.level(settings.graphLevel)))
                try api.check(api.raw.set_optimized_model_file_path(sessionOptions, path))
            case .optimized:
                try api.check(api.raw.set_graph_optimization_level(sessionOptions, LEDGE_ORT_OPTIMIZATION_DISABLE_ALL))
            }
            if !settings.memoryPattern { try api.check(api.raw.disable_mem_pattern(sessionOptions)) }
            if !settings.memoryArena {
                try api.check(api.raw.disable_cpu_mem_arena(sessionOptions))
            } else if options.sharesMemory && runtime.hasSharedArena {
                try api.check(api.raw.add_session_config_entry(sessionOptions, "session.use_env_allocators", "1"))
            }
        } catch {
            throw error.asRuntimeFailure
        }
        self.provider = runtime.appendProvider(options.provider, to: sessionOptions, logger: logger)

        var created: OpaquePointer?
        var bytes: Data
        if case .optimized(let optimized) = graph { bytes = optimized } else { bytes = file.data }
        let graphBytes = bytes.count
        let initializers = graphFile.flatMap { weights?.initializers(for: bytes, file: $0, logger: logger) }
        do throws(ORTFailure) {
            if let initializers {
                for (name, value) in initializers.values {
                    try api.check(api.raw.add_initializer(sessionOptions, name, value.pointer))
                }
                if let external = initializers.externalGraph {
                    // The runtime checks that the file the weights point at exists, in this folder.
                    try api.check(
                        api.raw.add_session_config_entry(
                            sessionOptions, "session.model_external_initializers_file_folder_path", initializers.folder))
                    bytes = external
                }
            }
        } catch {
            throw error.asRuntimeFailure
        }
        let status = bytes.withUnsafeBytes { bytes in
            if let container = weights?.container {
                return api.raw.create_session_from_array_prepacked(
                    runtime.env.pointer, bytes.baseAddress, bytes.count, sessionOptions, container.pointer, &created)
            }
            return api.raw.create_session_from_array(runtime.env.pointer, bytes.baseAddress, bytes.count, sessionOptions, &created)
        }
        do throws(ORTFailure) {
            try api.check(status)
        } catch {
            throw LedgeError.invalidModel("\(file.path): ONNX Runtime cannot load the model: \(error.message)")
        }
        withExtendedLifetime(optionsHandle) {}
        if let initializers {
            logger.debug(
                "\(file.path): \(initializers.values.count) initializers (\(initializers.storage.byteCount) bytes) shared with the model's other sessions; ONNX Runtime parsed \(bytes.count) of the graph's \(graphBytes) bytes"
            )
        }
        guard let created else { throw LedgeError.runtimeFailure("onnxruntime: CreateSessionFromArray returned nothing") }
        // The shared weights outlive the session that reads them.
        let session = ORTHandle(created) { [weights, initializers] in
            api.raw.release_session($0)
            withExtendedLifetime((weights, initializers)) {}
        }
        self.session = session
        var runOptions: OpaquePointer?
        do throws(ORTFailure) {
            try api.check(api.raw.create_run_options(&runOptions))
        } catch {
            throw error.asRuntimeFailure
        }
        guard let runOptions else { throw LedgeError.runtimeFailure("onnxruntime: CreateRunOptions returned nothing") }
        self.runOptions = ORTHandle(runOptions) { api.raw.release_run_options($0) }

        let inputs = try Self.specs(of: session.pointer, inputs: true, api: api, path: file.path)
        let outputs = try Self.specs(of: session.pointer, inputs: false, api: api, path: file.path)
        self.inputNames = CStringList(inputs.map(\.name))
        self.outputNames = CStringList(outputs.map(\.name))

        var info = ModelInfo(
            path: file.path, format: .onnx, runtimeVersion: runtime.version,
            sizeBytes: file.data.count, inputs: inputs, outputs: outputs)
        info.metadata = Self.metadata(of: session.pointer, api: api)
        try info.metadata.addSidecar(besides: file.path)
        if let summary = ONNXModelSummary.scan(file.data) {
            summary.apply(to: &info)
        }
        self.info = info
    }

    /// ONNX Runtime's value for a graph optimization level.
    private static func level(_ level: ONNXRuntimeSettings.GraphLevel) -> ledge_ort_graph_optimization {
        switch level {
        case .disabled: return LEDGE_ORT_OPTIMIZATION_DISABLE_ALL
        case .basic: return LEDGE_ORT_OPTIMIZATION_BASIC
        case .extended: return LEDGE_ORT_OPTIMIZATION_EXTENDED
        case .all: return LEDGE_ORT_OPTIMIZATION_ALL
        }
    }

    /// Reads the model at `path` and loads it into the runtime at `libraryPath`
    /// (found with ``RuntimeLocator`` when `nil`).
    public convenience init(
        path: String, options: SessionOptions = SessionOptions(), libraryPath: String? = nil,
        logger: Logger = Logger(label: "ledge.onnx")
    ) throws {
        let runtime = try ONNXRuntime.shared(libraryPath: libraryPath)
        try self.init(file: try ModelFile(path: path), options: options, runtime: runtime, logger: logger)
    }

    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        try validate(inputs)
        do {
            return try lock.withLock { _ throws(LedgeError) -> [Tensor] in try runLocked(inputs) }
        } catch {
            // A run the terminate flag stopped (or refused) fails with ONNX Runtime's words for it: say why instead.
            if let reason = interruption.withLock({ $0 }) { throw LedgeError(.busy, reason) }
            throw error
        }
    }

    /// Sets the terminate flag of the runs' options: a run under way stops at its next kernel,
    /// and every later one fails at once (the flag stays set), each with ``LedgeError/Code/busy`` and `reason`.
    public func interrupt(reason: String) {
        interruption.withLock { $0 = $0 ?? reason }
        let api = runtime.api
        do throws(ORTFailure) {
            try api.check(api.raw.run_options_set_terminate(runOptions.pointer))
        } catch {}  // setting a flag does not fail; the runs are refused above either way
    }

    private func runLocked(_ inputs: [Tensor]) throws(LedgeError) -> [Tensor] {
        let api = runtime.api
        var values: [ORTHandle] = []
        values.reserveCapacity(inputs.count)
        do throws(ORTFailure) {
            for tensor in inputs {
                var shape = tensor.shape.map(Int64.init)
                var value: OpaquePointer?
                try api.check(
                    api.raw.create_tensor_with_data(
                        runtime.cpuMemoryInfo.pointer, tensor.storage.baseAddress, tensor.byteCount,
                        &shape, shape.count, tensor.dtype.ortType, &value))
                guard let value else { throw ORTFailure(code: 1, message: "CreateTensorWithDataAsOrtValue returned nothing") }
                values.append(ORTHandle(value) { api.raw.release_value($0) })
            }
            var inputPointers: [OpaquePointer?] = values.map(\.pointer)
            var outputs = [OpaquePointer?](repeating: nil, count: outputNames.count)
            try withExtendedLifetime(inputs) { () throws(ORTFailure) in
                try api.check(
                    api.raw.run(
                        session.pointer, runOptions.pointer, inputNames.pointers, &inputPointers, inputPointers.count,
                        outputNames.pointers, outputs.count, &outputs))
            }
            values.removeAll()  // release the input wrappers before the caller can touch the buffers again
            let owned = outputs.map { $0.map { ORTHandle($0) { api.raw.release_value($0) } } }
            return try zip(owned, info.outputs).map { value, spec throws(ORTFailure) in
                guard let value else { throw ORTFailure(code: 1, message: "Run returned no value for output '\(spec.name)'") }
                return try adopt(value, name: spec.name)
            }
        } catch {
            throw error.asRuntimeFailure
        }
    }

    /// Wraps an output value's data in a tensor that owns the value.
    private func adopt(_ value: ORTHandle, name: String) throws(ORTFailure) -> Tensor {
        let api = runtime.api
        var isTensor: Int32 = 0
        try api.check(api.raw.is_tensor(value.pointer, &isTensor))
        guard isTensor != 0 else { throw ORTFailure(code: 1, message: "output '\(name)' is not a tensor") }
        var shapeInfo: OpaquePointer?
        try api.check(api.raw.get_tensor_type_and_shape(value.pointer, &shapeInfo))
        guard let shapeInfo else { throw ORTFailure(code: 1, message: "output '\(name)' has no shape") }
        let infoHandle = ORTHandle(shapeInfo) { api.raw.release_tensor_info($0) }
        let (elementType, shape) = try Self.typeAndShape(infoHandle.pointer, api: api)
        guard let dtype = DType(ort: elementType) else {
            throw ORTFailure(code: 1, message: "output '\(name)' has element type \(ortTypeName(elementType)), which Ledge does not support")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ORTFailure(code: 1, message: "output '\(name)' has an unresolved shape \(shape)")
        }
        let byteCount = Tensor.elementCount(shape) * dtype.byteSize
        var data: UnsafeMutableRawPointer?
        try api.check(api.raw.get_tensor_mutable_data(value.pointer, &data))
        guard let data, byteCount > 0 else {
            return Tensor(dtype: dtype, shape: shape)  // empty: nothing to adopt; the value is released here
        }
        let storage = TensorStorage(adopting: data, byteCount: byteCount) { _ in withExtendedLifetime(value) {} }
        return Tensor(dtype: dtype, shape: shape, storage: storage)
    }
}

/// NUL-terminated copies of names, alive as long as the list.
final class CStringList: @unchecked Sendable {
    let pointers: [UnsafePointer<CChar>?]
    private let owned: [UnsafeMutablePointer<CChar>]

    init(_ strings: [String]) {
        owned = strings.map { string in
            let bytes = string.utf8CString
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            for (offset, byte) in bytes.enumerated() { (copy + offset).initialize(to: byte) }
            return copy
        }
        pointers = owned.map { UnsafePointer($0) }
    }

    var count: Int { owned.count }

    deinit { owned.forEach { $0.deallocate() } }
}
