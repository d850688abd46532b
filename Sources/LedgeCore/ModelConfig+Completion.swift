extension ModelConfig {
    /// The `max_batch_size` that completion gives a model whose inputs and outputs
    /// all have a dynamic first dimension when the config does not set one
    /// (Triton's `--backend-config=default-max-batch-size`, whose default is 4; Ledge uses 8).
    public static let defaultMaxBatchSize = 8

    /// Triton's auto-complete without `--strict-model-config`: fills what the config
    /// leaves out from the model and checks what it gives against the model.
    ///
    /// Filled: `platform` and `backend` from the format (`format`, else `info.format`);
    /// `max_batch_size`, when the config does not set it: ``defaultMaxBatchSize`` (8)
    /// when every input's and output's first dimension is dynamic (-1) and no listed
    /// input or output gives `dims` of the model's full rank (which says "no batching"),
    /// else 0; the inputs the config does not list (in the model's order, after those
    /// listed), and every output when it lists none, with their data types and dims
    /// (without the batch dimension when `max_batch_size` > 0). Outputs are not added to a
    /// config that lists some: as Triton's backends, the model then serves only those.
    ///
    /// Checked, each failure a ``LedgeError/Code/invalidModel`` naming `file` and the field:
    /// a listed input or output the model lacks; a `data_type` or `dims` that disagree
    /// (a dynamic model dimension accepts any size); `max_batch_size` > 0 on a model
    /// without a dynamic first dimension; a `platform` or `backend` of the other format;
    /// `dynamic_batching` without batching or with a preferred size above `max_batch_size`.
    /// Instance groups are left as they are (none means the server's default).
    public func completed(for info: ModelInfo, format: ModelFormat?, file: String?) throws -> ModelConfig {
        let file = file ?? "config"
        let format = format ?? info.format
        var result = self
        result.platform = try Self.check(platform, "platform", expected: format == .onnx ? "onnxruntime_onnx" : "tflite", file: file)
        result.backend = try Self.check(
            backend, "backend", expected: format == .onnx ? "onnxruntime" : "tflite", also: format == .onnx ? [] : ["armnn_tflite"], file: file)

        let tensors = info.inputs + info.outputs
        let batchable = !tensors.isEmpty && tensors.allSatisfy { $0.shape.first == -1 }
        let maxBatch: Int
        if let declared = declaredMaxBatchSize {
            if declared > 0, !batchable, let fixed = tensors.first(where: { $0.shape.first != -1 }) ?? tensors.first {
                throw LedgeError.invalidModel(
                    "\(file): max_batch_size \(declared) needs a model whose inputs and outputs all have a dynamic first dimension: "
                        + "expected max_batch_size 0, as '\(TextProto.printable(fixed.name))' has shape \(fixed.shapeDescription)")
            }
            maxBatch = declared
        } else {
            func givesFullRank(_ listed: [TensorConfig], _ specs: [TensorSpec]) -> Bool {
                listed.contains { tensor in specs.contains { $0.name == tensor.name && $0.shape.count == tensor.dims.count } }
            }
            let fullRank = givesFullRank(inputs, info.inputs) || givesFullRank(outputs, info.outputs)
            maxBatch = batchable && !fullRank ? Self.defaultMaxBatchSize : 0
        }
        result.declaredMaxBatchSize = maxBatch
        result.inputs = try Self.complete(inputs, from: info.inputs, kind: "input", maxBatch: maxBatch, file: file)
        result.outputs = try Self.complete(outputs, from: info.outputs, kind: "output", maxBatch: maxBatch, file: file, addsMissing: outputs.isEmpty)
        if let problem = result.batchingProblem(maxBatchSize: maxBatch) {
            throw LedgeError.invalidModel("\(file): \(problem)")
        }
        return result
    }

    /// What is wrong with `dynamic_batching` under `maxBatchSize`, `nil` when nothing is.
    func batchingProblem(maxBatchSize: Int) -> String? {
        guard let batching = dynamicBatching else { return nil }
        guard maxBatchSize > 0 else {
            return "dynamic_batching needs a batch: expected max_batch_size > 0"
        }
        if let size = batching.preferredBatchSizes.first(where: { $0 > maxBatchSize }) {
            return "dynamic_batching.preferred_batch_size \(size) is larger than max_batch_size \(maxBatchSize): "
                + "expected at most \(maxBatchSize)"
        }
        return nil
    }

    /// `given` when it is `expected` or one of `also` (other names of it), else an error naming `field`.
    private static func check(_ given: String?, _ field: String, expected: String, also: [String] = [], file: String) throws -> String {
        if let given, given != expected, !also.contains(given) {
            let model = expected.hasPrefix("onnx") ? "an ONNX model" : "a TFLite model"
            let names = ([expected] + also).joined(separator: " or ")
            throw LedgeError.invalidModel("\(file): \(field) '\(given)' does not match the model: expected \(names) for \(model)")
        }
        return given ?? expected
    }

    private static func complete(
        _ listed: [TensorConfig], from specs: [TensorSpec], kind: String, maxBatch: Int, file: String, addsMissing: Bool = true
    ) throws -> [TensorConfig] {
        func dims(_ spec: TensorSpec) -> [Int] { maxBatch > 0 ? Array(spec.shape.dropFirst()) : spec.shape }
        for tensor in listed {
            let name = TextProto.printable(tensor.name)
            guard let spec = specs.first(where: { $0.name == tensor.name }) else {
                let names = specs.map { "'\(TextProto.printable($0.name))'" }.joined(separator: ", ")
                throw LedgeError.invalidModel("\(file): \(kind) '\(name)' is not in the model: expected one of \(names)")
            }
            guard tensor.dtype == spec.dtype else {
                throw LedgeError.invalidModel(
                    "\(file): \(kind) '\(name)': data_type \(tensor.dtype.tritonName) does not match the model: "
                        + "expected \(spec.dtype.tritonName)")
            }
            // With reshape, the model has the reshape's shape; clients see dims.
            let expected = dims(spec)
            let given = tensor.reshape ?? tensor.dims
            let fits = expected.count == given.count && zip(expected, given).allSatisfy { $0 == -1 || $0 == $1 }
            guard fits else {
                let batch = maxBatch > 0 ? " (max_batch_size \(maxBatch): without the batch dimension)" : ""
                let field = tensor.reshape == nil ? "dims" : "reshape.shape"
                throw LedgeError.invalidModel(
                    "\(file): \(kind) '\(name)': \(field) \(text(given)) do not match the model: expected \(text(expected))\(batch)")
            }
        }
        guard addsMissing else { return listed }
        let missing = specs.filter { spec in !listed.contains { $0.name == spec.name } }
        return listed + missing.map { TensorConfig(name: $0.name, dtype: $0.dtype, dims: dims($0)) }
    }

    /// `info` with the sizes a completed config gives where the model leaves a dimension dynamic
    /// (`dims: [16]` for a model's `[-1, -1]` under `max_batch_size` 8 serves `[-1, 16]`), as Triton
    /// serves the config's shapes: metadata shows them and a request of another size is refused.
    /// A config that lists outputs serves only those, in its order (``served(_:listed:)``).
    public func narrowing(_ info: ModelInfo) -> ModelInfo {
        let batched = maxBatchSize > 0
        func narrowed(_ specs: [TensorSpec], by listed: [TensorConfig]) -> [TensorSpec] {
            specs.map { spec in
                guard let tensor = listed.first(where: { $0.name == spec.name }) else { return spec }
                let given = batched ? [-1] + tensor.dims : tensor.dims
                var result = spec
                if tensor.reshape != nil {
                    result.shape = given  // what clients see; the model's shape is the reshape's
                    return result
                }
                guard given.count == spec.shape.count else { return spec }
                result.shape = zip(spec.shape, given).map { model, config in model == -1 ? config : model }
                return result
            }
        }
        var result = info
        result.inputs = narrowed(info.inputs, by: inputs)
        result.outputs = narrowed(Self.served(info.outputs, listed: outputs), by: outputs)
        return result
    }

    /// The outputs a config that lists `listed` serves: those listed, in its order (Triton's metadata and
    /// responses follow the config), or all in the model's order when it lists none.
    public static func served(_ outputs: [TensorSpec], listed: [TensorConfig]) -> [TensorSpec] {
        listed.isEmpty ? outputs : listed.compactMap { tensor in outputs.first { $0.name == tensor.name } }
    }

    private static func text(_ dims: [Int]) -> String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
