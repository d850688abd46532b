internal import CLiteRT
internal import LedgeCore

/// One input or output of the compiled model: 64-byte aligned host memory that
/// Ledge owns and a LiteRT tensor buffer over it (used without copying).
struct HostBuffer {
    var storage: TensorStorage
    var handle: OpaquePointer
    var shape: [Int]
}

/// Everything a run touches, guarded by the session's mutex.
struct RunState {
    var model: OpaquePointer?
    var options: OpaquePointer?
    var compiled: OpaquePointer?
    /// The signature tensors' types as LiteRT reports them (dimensions replaced per run).
    var inputTypes: [ledge_litert_ranked_tensor_type] = []
    var outputTypes: [ledge_litert_ranked_tensor_type] = []
    var inputs: [HostBuffer] = []
    var outputs: [HostBuffer] = []

    /// Destroys the tensor buffers (before the memory under them is freed).
    mutating func destroyBuffers(_ api: UnsafePointer<ledge_litert_api>) {
        for buffer in inputs + outputs { api.pointee.DestroyTensorBuffer(buffer.handle) }
        inputs = []
        outputs = []
    }

    /// Destroys everything in LiteRT's order: buffers → compiled model → options → model.
    mutating func destroy(_ api: UnsafePointer<ledge_litert_api>) {
        destroyBuffers(api)
        if let compiled { api.pointee.DestroyCompiledModel(compiled) }
        if let options { api.pointee.DestroyOptions(options) }
        if let model { api.pointee.DestroyModel(model) }
        compiled = nil
        options = nil
        model = nil
    }

    /// (Re)creates the host buffers for `inputShapes`; output shapes follow from
    /// the sizes LiteRT requires, filling the outputs' dynamic dimension.
    mutating func createBuffers(runtime: LiteRTRuntime, inputShapes: [[Int]], inputSpecs: [TensorSpec],
                                outputSpecs: [TensorSpec]) throws {
        let api = runtime.api
        destroyBuffers(api)
        guard let compiled else { return }
        for (i, shape) in inputShapes.enumerated() {
            var requirements: OpaquePointer?
            try runtime.check(api.pointee.GetCompiledModelInputBufferRequirements(compiled, 0, i, &requirements),
                              "reading input \(i) buffer requirements")
            var size = 0
            try runtime.check(api.pointee.GetTensorBufferRequirementsBufferSize(requirements, &size),
                              "reading input \(i) buffer size")
            let bytes = max(size, Tensor.elementCount(shape) * inputSpecs[i].dtype.byteSize)
            inputs.append(try make(runtime, &inputTypes[i], shape: shape, size: bytes, what: "input \(i)"))
        }
        // Re-allocate so resized inputs propagate, then read the outputs' shapes.
        var dims = [Int32](repeating: 0, count: max(outputSpecs.count, 1) * 8)
        var ranks = [Int32](repeating: 0, count: max(outputSpecs.count, 1))
        try runtime.check(ledge_litert_output_shapes(api, compiled, outputSpecs.count, &dims, &ranks), "reading output shapes")
        for (i, spec) in outputSpecs.enumerated() {
            var requirements: OpaquePointer?
            try runtime.check(api.pointee.GetCompiledModelOutputBufferRequirements(compiled, 0, i, &requirements),
                              "reading output \(i) buffer requirements")
            var size = 0
            try runtime.check(api.pointee.GetTensorBufferRequirementsBufferSize(requirements, &size),
                              "reading output \(i) buffer size")
            let rank = Int(ranks[i])
            let reported = (0..<min(max(rank, 0), 8)).map { Int(dims[i * 8 + $0]) }
            let shape = rank == spec.shape.count && reported.allSatisfy({ $0 >= 0 }) && spec.accepts(shape: reported)
                ? reported : Self.concreteShape(spec.shape, byteCount: size, elementSize: spec.dtype.byteSize)
            let bytes = max(size, Tensor.elementCount(shape) * spec.dtype.byteSize)
            outputs.append(try make(runtime, &outputTypes[i], shape: shape, size: bytes, what: "output \(i)"))
        }
    }

    private func make(_ runtime: LiteRTRuntime, _ type: inout ledge_litert_ranked_tensor_type, shape: [Int],
                      size: Int, what: String) throws -> HostBuffer {
        let dims = shape.map { Int32(clamping: $0) }
        ledge_litert_layout_set(&type, dims, Int32(dims.count))
        let storage = TensorStorage(byteCount: size)
        var handle: OpaquePointer?
        try runtime.check(runtime.api.pointee.CreateTensorBufferFromHostMemory(&type, storage.baseAddress, size, nil, &handle),
                          "creating the \(what) buffer")
        guard let handle else { throw LedgeError.runtimeFailure("LiteRT: creating the \(what) buffer returned no buffer") }
        return HostBuffer(storage: storage, handle: handle, shape: shape)
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
