internal import CLiteRT
internal import LedgeCore

/// One LiteRT object (model, options, compiled model, tensor buffer), owned by
/// this Swift object and destroyed in `deinit` (as swift-crypto's wrappers own
/// BoringSSL objects). What it depends on is kept alive in ``dependencies``,
/// released only after the object itself is destroyed, so LiteRT's order
/// (buffers → compiled model → options → model → environment → library)
/// follows from the references alone.
final class LiteRTObject: @unchecked Sendable {
    private let pointer: OpaquePointer
    private let destroy: (OpaquePointer) -> Void
    /// Objects that must outlive this one (the runtime, a model, the memory under a buffer).
    private let dependencies: [AnyObject]

    init(_ pointer: OpaquePointer, keeping dependencies: [AnyObject], destroy: @escaping (OpaquePointer) -> Void) {
        self.pointer = pointer
        self.destroy = destroy
        self.dependencies = dependencies
    }

    deinit { destroy(pointer) }

    /// Lends the pointer for the duration of `body`.
    func withPointer<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(pointer) }
    }

    /// Lends the pointers of `objects`, in order, for the duration of `body`.
    static func withPointers<R>(_ objects: [LiteRTObject], _ body: (inout [OpaquePointer?]) throws -> R) rethrows -> R {
        try withExtendedLifetime(objects) {
            var pointers = objects.map { Optional($0.pointer) }
            return try body(&pointers)
        }
    }
}

/// One input or output of the compiled model: 64-byte aligned host memory that
/// Ledge owns and a LiteRT tensor buffer over it (used without copying). The
/// buffer keeps the memory alive until it is destroyed.
struct HostBuffer {
    var storage: TensorStorage
    var buffer: LiteRTObject
    var shape: [Int]
}

/// Everything a run touches, guarded by the session's mutex.
struct RunState {
    let runtime: LiteRTRuntime
    let compiled: LiteRTObject
    /// The signature tensors' types as LiteRT reports them (dimensions replaced per run).
    var inputTypes: [ledge_litert_ranked_tensor_type]
    var outputTypes: [ledge_litert_ranked_tensor_type]
    var inputs: [HostBuffer] = []
    var outputs: [HostBuffer] = []

    /// (Re)creates the host buffers for `inputShapes`; output shapes follow from
    /// the sizes LiteRT requires, filling the outputs' dynamic dimension.
    mutating func createBuffers(inputShapes: [[Int]], inputSpecs: [TensorSpec], outputSpecs: [TensorSpec]) throws {
        let api = runtime.api
        let runtime = self.runtime
        inputs = []
        outputs = []
        try compiled.withPointer { compiled in
            for (i, shape) in inputShapes.enumerated() {
                let size = try requiredSize("input \(i)") {
                    api.pointee.GetCompiledModelInputBufferRequirements(compiled, 0, i, &$0)
                }
                let bytes = max(size, Tensor.elementCount(shape) * inputSpecs[i].dtype.byteSize)
                inputs.append(try make(&inputTypes[i], shape: shape, size: bytes, what: "input \(i)"))
            }
            // Re-allocate so resized inputs propagate, then read the outputs' shapes.
            let maxRank = Int(LEDGE_LITERT_MAX_RANK)
            var dims = [Int32](repeating: 0, count: max(outputSpecs.count, 1) * maxRank)
            var ranks = [Int32](repeating: 0, count: max(outputSpecs.count, 1))
            try runtime.check(ledge_litert_output_shapes(api, compiled, outputSpecs.count, &dims, &ranks), "reading output shapes")
            for (i, spec) in outputSpecs.enumerated() {
                let size = try requiredSize("output \(i)") {
                    api.pointee.GetCompiledModelOutputBufferRequirements(compiled, 0, i, &$0)
                }
                let rank = Int(ranks[i])
                let reported = (0..<min(max(rank, 0), maxRank)).map { Int(dims[i * maxRank + $0]) }
                let shape =
                    rank == spec.shape.count && reported.allSatisfy({ $0 >= 0 }) && spec.accepts(shape: reported)
                    ? reported : Self.concreteShape(spec.shape, byteCount: size, elementSize: spec.dtype.byteSize)
                let bytes = max(size, Tensor.elementCount(shape) * spec.dtype.byteSize)
                outputs.append(try make(&outputTypes[i], shape: shape, size: bytes, what: "output \(i)"))
            }
        }
    }

    /// The buffer size LiteRT requires for `what`, from the requirements `get` returns.
    private func requiredSize(_ what: String, _ get: (inout OpaquePointer?) -> ledge_litert_status) throws -> Int {
        var requirements: OpaquePointer?
        try runtime.check(get(&requirements), "reading \(what) buffer requirements")
        var size = 0
        try runtime.check(runtime.api.pointee.GetTensorBufferRequirementsBufferSize(requirements, &size), "reading \(what) buffer size")
        return size
    }

    private func make(_ type: inout ledge_litert_ranked_tensor_type, shape: [Int], size: Int, what: String) throws -> HostBuffer {
        let api = runtime.api
        let dims = shape.map { Int32(clamping: $0) }
        ledge_litert_layout_set(&type, dims, Int32(dims.count))
        let storage = TensorStorage(byteCount: size)
        var handle: OpaquePointer?
        try runtime.check(
            api.pointee.CreateTensorBufferFromHostMemory(&type, storage.baseAddress, size, nil, &handle),
            "creating the \(what) buffer")
        guard let handle else { throw LedgeError.runtimeFailure("LiteRT: creating the \(what) buffer returned no buffer") }
        let buffer = LiteRTObject(handle, keeping: [storage, compiled]) { api.pointee.DestroyTensorBuffer($0) }
        return HostBuffer(storage: storage, buffer: buffer, shape: shape)
    }

    /// `shape` with its dynamic dimensions resolved: the first from `byteCount`, others 1.
    static func concreteShape(_ shape: [Int], byteCount: Int, elementSize: Int) -> [Int] {
        guard shape.contains(where: { $0 < 0 }) else { return shape }
        let known = shape.filter { $0 >= 0 }.reduce(1, *) * elementSize
        var result = shape.map { $0 < 0 ? 1 : $0 }
        if let first = shape.firstIndex(where: { $0 < 0 }), known > 0 { result[first] = byteCount / known }
        return result
    }
}
