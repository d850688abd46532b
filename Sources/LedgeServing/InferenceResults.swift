public import LedgeCore

extension ServedModel {
    /// The response to `prepared` from the model's `results` (every output, in
    /// the model's order): the requested outputs, each as a tensor or, with the
    /// classification extension, as its top classes. Outputs asked for in shared memory are
    /// written there (the error when one does not fit its `shared_memory_byte_size`).
    public func response(for prepared: PreparedInference, results: [Tensor]) throws -> InferenceResponse {
        let outputs = try prepared.outputs.map { output in
            let tensor = results[output.index]
            let content: InferenceResponse.Output.Content
            if let k = output.classification {
                content = Self.classes(tensor, k: k, quantization: info.outputs[output.index].quantization, labels: labels)
            } else {
                content = .tensor(tensor)
            }
            var answer = InferenceResponse.Output(name: info.outputs[output.index].name, content: content, binary: output.binary)
            if let slice = output.sharedMemory { answer.sharedMemory = try Self.write(tensor, of: answer.name, to: slice) }
            return answer
        }
        return InferenceResponse(id: prepared.id, modelName: name, modelVersion: version, outputs: outputs)
    }

    /// Writes an output tensor's bytes to `slice` (prepare refused classification there, and
    /// fixed-shape outputs too large for it; a dynamic one is checked here, after the run).
    private static func write(_ tensor: Tensor, of output: String, to slice: SharedMemorySlice) throws -> SharedMemoryReference {
        try tensor.withUnsafeBytes { bytes in
            guard bytes.count <= slice.byteSize else {
                throw SharedMemorySlice.tooSmall(output: output, bytes: bytes.count, byteSize: slice.byteSize)
            }
            try slice.region.write(bytes, at: slice.offset)
            return SharedMemoryReference(region: slice.region.name, offset: slice.offset, byteSize: bytes.count)
        }
    }

    /// Triton's classification extension: over the last dimension, the `k` highest
    /// scores (dequantized when the output is quantized) as `"score:index:label"`
    /// (`"score:index"` without labels), highest first, ties by lower index; the
    /// shape is the output's with the last dimension replaced by `min(k, classes)`.
    static func classes(_ tensor: Tensor, k: Int, quantization: Quantization?, labels: [String]?) -> InferenceResponse.Output.Content {
        let scores = tensor.floatValues(dequantizing: quantization)
        // A scalar is one class; an empty last dimension has no classes (and its rows no strings).
        let classes = tensor.shape.last ?? scores.count
        let rows = classes == 0 ? 0 : scores.count / classes
        let top = min(k, classes)
        var strings: [String] = []
        strings.reserveCapacity(rows * top)
        for row in 0..<rows {
            let slice = scores[(row * classes)..<((row + 1) * classes)]
            let order = slice.indices.sorted { slice[$0] > slice[$1] || (slice[$0] == slice[$1] && $0 < $1) }
            for position in order.prefix(top) {
                let index = position - row * classes
                var text = cFormat("%f", Double(scores[position])) + ":" + String(index)
                if let labels, index < labels.count { text += ":" + labels[index] }
                strings.append(text)
            }
        }
        var shape = tensor.shape.isEmpty ? [top] : tensor.shape
        shape[shape.count - 1] = top
        return .strings(shape: shape, strings)
    }
}
