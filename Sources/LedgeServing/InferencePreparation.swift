#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

extension InferenceRequest {
    /// The header that carries the JSON length when a request has a binary section,
    /// named by errors about that section.
    public static let binaryHeaderName = "Inference-Header-Content-Length"
}

extension ServedModel {
    /// Checks `request` against the model: every input named once with the model's
    /// datatype and an accepted shape, its values complete (binary sizes against
    /// the bytes left), no bytes unclaimed, every requested output known.
    /// Errors are ``LedgeError``s of code ``LedgeError/Code/invalidInput`` naming the field.
    /// Inputs and outputs in shared memory are looked up in `sharedMemory` (an input's bytes are read here).
    public func prepare(_ request: InferenceRequest, sharedMemory: SharedMemoryRegistry = .off) throws -> PreparedInference {
        let header = InferenceRequest.binaryHeaderName
        let specs = info.inputs
        var tensors = [Tensor?](repeating: nil, count: specs.count)
        var imageInput: Duration?
        let binary = request.binary ?? Data()
        var offset = binary.startIndex
        for input in request.inputs {
            guard let index = specs.firstIndex(where: { $0.name == input.name }) else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)' is not an input of model '\(name)': expected one of \(specs.map { "'\($0.name)'" }.joined(separator: ", "))"
                )
            }
            guard tensors[index] == nil else { throw LedgeError.invalidInput("input '\(input.name)' is given more than once") }
            let spec = specs[index]
            if takesEncodedImages(input, for: spec) {
                let started = ContinuousClock.now
                tensors[index] = try encodedImages(input, spec: spec, binary: request.binary, offset: &offset)
                imageInput = ContinuousClock.now - started
                continue
            }
            guard input.datatype == spec.dtype.v2Name else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)': datatype \(input.datatype) does not match the model: expected \(spec.dtype.v2Name)")
            }
            guard input.shape.allSatisfy({ $0 >= 0 }), spec.accepts(shape: input.shape) else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)': shape \(TensorCoding.describe(input.shape)) does not match the model: expected \(spec.shapeDescription)")
            }
            switch input.values {
            case .binary(let size):
                // Overflow-checked; the bytes are then checked against the section before anything is allocated.
                let expected = try ShapeArithmetic.check(input: input.name, shape: input.shape, dtype: spec.dtype, limit: .max).bytes
                guard size == expected else {
                    throw LedgeError.invalidInput(
                        "input '\(input.name)': binary_data_size \(size) does not match shape \(TensorCoding.describe(input.shape)) of \(spec.dtype.v2Name): expected \(expected) bytes"
                    )
                }
                let bytes = try Self.binarySection(of: input.name, size: size, in: request.binary, offset: &offset)
                tensors[index] = TensorCoding.tensor(dtype: spec.dtype, shape: input.shape, bytes: bytes)
            case .json(let data):
                // Each JSON value takes at least one byte of the request: no tensor larger than that is allocated.
                let count = try ShapeArithmetic.check(
                    input: input.name, shape: input.shape, dtype: spec.dtype, limit: request.jsonByteCount * spec.dtype.byteSize
                ).count
                tensors[index] = try TensorCoding.tensor(name: input.name, dtype: spec.dtype, shape: input.shape, count: count, data: data)
            case .raw(let bytes, let field, let typed):
                let expected = try ShapeArithmetic.check(input: input.name, shape: input.shape, dtype: spec.dtype, limit: .max)
                guard bytes.count == expected.bytes else {
                    let shape = TensorCoding.describe(input.shape)
                    throw LedgeError.invalidInput(
                        typed
                            ? "input '\(input.name)': \(field) holds \(bytes.count / spec.dtype.byteSize) values but shape \(shape) needs \(expected.count)"
                            : "input '\(input.name)': \(field) holds \(bytes.count) bytes but shape \(shape) of \(spec.dtype.v2Name) needs \(expected.bytes)"
                    )
                }
                tensors[index] = TensorCoding.tensor(dtype: spec.dtype, shape: input.shape, bytes: bytes)
            case .sharedMemory(let reference):
                let expected = try ShapeArithmetic.check(input: input.name, shape: input.shape, dtype: spec.dtype, limit: .max).bytes
                guard reference.byteSize == expected else {
                    throw LedgeError.invalidInput(
                        "input '\(input.name)': shared_memory_byte_size \(reference.byteSize) does not match shape \(TensorCoding.describe(input.shape)) of \(spec.dtype.v2Name): expected \(expected) bytes"
                    )
                }
                let slice = try sharedMemory.slice(reference, for: "input '\(input.name)'")
                var tensor = Tensor(dtype: spec.dtype, shape: input.shape)
                try tensor.withUnsafeMutableBytes { try slice.region.read(into: $0, at: slice.offset) }
                tensors[index] = tensor
            case .missing:
                throw LedgeError.invalidInput("input '\(input.name)': expected 'data' or parameters.binary_data_size")
            }
        }
        guard offset == binary.endIndex else {
            throw LedgeError.invalidInput(
                "the body holds \(binary.endIndex - offset) bytes after \(header) and the inputs' binary_data_size that no input claims")
        }
        var inputs: [Tensor] = []
        for (spec, tensor) in zip(specs, tensors) {
            guard let tensor else { throw LedgeError.invalidInput("model '\(name)' expects input '\(spec.name)', missing from 'inputs'") }
            inputs.append(tensor)
        }
        try checkBatch(inputs)
        return PreparedInference(
            id: request.id, inputs: inputs, outputs: try outputs(request, sharedMemory: sharedMemory), imageInput: imageInput)
    }

    /// With `max_batch_size` > 0 every input's first dimension is the batch, which the inputs
    /// of one request share: refused otherwise, as Triton refuses them (the runtime would fail
    /// the run with its own error, a 500); and a batch over the config's own `max_batch_size`
    /// (``batchLimit``) is refused, as Triton refuses it.
    func checkBatch(_ inputs: [Tensor]) throws {
        guard config.maxBatchSize > 0, let batch = inputs.first?.shape.first else { return }
        if let (spec, tensor) = zip(info.inputs, inputs).first(where: { $1.shape.first != batch }) {
            throw LedgeError.invalidInput(
                "input '\(spec.name)' has a batch of \(tensor.shape.first ?? 0), input '\(info.inputs[0].name)' of \(batch): the inputs of model '\(name)' share their first (batch) dimension"
            )
        }
        if let limit = batchLimit, batch > limit {
            throw LedgeError.invalidInput(
                "input '\(info.inputs[0].name)' has a batch of \(batch): model '\(name)' takes at most \(limit) items a request (max_batch_size in its config.pbtxt)"
            )
        }
    }

    /// The next `size` bytes of the request's binary section, from `offset` (which moves past them).
    static func binarySection(of input: String, size: Int, in binary: Data?, offset: inout Int) throws -> Data {
        let header = InferenceRequest.binaryHeaderName
        guard let binary else { throw LedgeError.invalidInput("input '\(input)' has binary_data_size but the request has no \(header) header") }
        guard size >= 0 else { throw LedgeError.invalidInput("input '\(input)': binary_data_size \(size) is negative: expected a byte count") }
        guard binary.endIndex - offset >= size else {
            throw LedgeError.invalidInput(
                "input '\(input)': binary_data_size \(size) runs past the body: \(binary.endIndex - offset) bytes left after \(header)")
        }
        defer { offset += size }
        return binary[offset..<(offset + size)]
    }

    private func outputs(_ request: InferenceRequest, sharedMemory: SharedMemoryRegistry) throws -> [PreparedInference.Output] {
        let specs = info.outputs
        guard let requested = request.outputs else {
            return specs.indices.map { PreparedInference.Output(index: $0, binary: request.binaryOutputs) }
        }
        return try requested.map { output in
            guard let index = specs.firstIndex(where: { $0.name == output.name }) else {
                throw LedgeError.invalidInput(
                    "requested output '\(output.name)' is not an output of model '\(name)': expected one of \(specs.map { "'\($0.name)'" }.joined(separator: ", "))"
                )
            }
            if let k = output.classification, k < 1 {
                throw LedgeError.invalidInput(
                    "requested output '\(output.name)': parameters.classification is \(k): expected an integer of at least 1")
            }
            if output.classification != nil, output.sharedMemory != nil {
                throw LedgeError.invalidInput(
                    "requested output '\(output.name)': parameters.classification and parameters.shared_memory_region: expected one (classes are sent in the response)"
                )
            }
            let slice = try output.sharedMemory.map { try sharedMemory.slice($0, for: "requested output '\(output.name)'") }
            // An output of fixed shape that cannot fit is refused before the model runs.
            if let slice, !specs[index].isDynamic, let bytes = ShapeArithmetic.byteCount(specs[index].shape, dtype: specs[index].dtype),
                bytes > slice.byteSize
            {
                throw SharedMemorySlice.tooSmall(output: output.name, bytes: bytes, byteSize: slice.byteSize)
            }
            return PreparedInference.Output(
                index: index, binary: output.binary ?? request.binaryOutputs, classification: output.classification, sharedMemory: slice)
        }
    }
}
