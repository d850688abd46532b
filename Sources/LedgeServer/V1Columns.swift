#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// TensorFlow Serving's columnar predict form: `{"inputs": V}` in, `{"outputs": V}` out, where
/// V is one tensor as nested lists *with* its batch dimension (a model of one input or output)
/// or an object with one such tensor per name. An image input takes `{"b64": …}` files in
/// place of the numbers: a list of them is a batch, one alone a batch of one. A model whose
/// batch is fixed at 1 runs a batch of N as N runs, one item each, as its row form does.
enum V1Columns {
    /// The items to run for `inputs`: one set of tensors for the whole batch, or one per item
    /// for a model whose batch is fixed at 1; each input's tensor in the model's input order.
    static func items(_ inputs: JSONValue, for model: ServedModel) throws -> [[Tensor]] {
        let specs = model.info.inputs
        let values: [JSONValue]
        var fields = specs.map { "inputs.\($0.name)" }
        if specs.count == 1, !named(inputs) {
            values = [inputs]
            fields = ["inputs"]
        } else {
            guard case .object(let members) = inputs else {
                throw LedgeError.invalidInput(
                    "field 'inputs' is \(inputs.kind): model '\(model.name)' has \(specs.count) inputs, expected an object with \(V1Coding.names(specs))"
                )
            }
            if let unknown = members.keys.sorted().first(where: { key in !specs.contains { $0.name == key } }) {
                throw LedgeError.invalidInput("field 'inputs.\(unknown)' is not an input of model '\(model.name)': expected \(V1Coding.names(specs))")
            }
            values = try specs.map { spec in
                guard let value = members[spec.name] else {
                    throw LedgeError.invalidInput("field 'inputs' has no '\(spec.name)': model '\(model.name)' expects \(V1Coding.names(specs))")
                }
                return value
            }
        }
        let single = fixedAtOne(specs)
        let tensors = try zip(specs, zip(values, fields)).map { spec, item in
            try tensor(item.0, field: item.1, spec: single ? batchFree(spec) : spec, shownAs: spec, model: model)
        }
        let batches = tensors.map { $0.shape.first ?? 1 }
        guard single, let count = batches.first, !batches.allSatisfy({ $0 == 1 }) else { return [tensors] }
        if let (field, batch) = zip(fields, batches).first(where: { $1 != count || $1 == 0 }) {
            throw LedgeError.invalidInput(
                batch == 0
                    ? "field '\(field)' holds no item: expected a batch of one or more"
                    : "field '\(field)' holds \(batch) item(s), field '\(fields[0])' \(count): every input needs the same batch")
        }
        let split = try tensors.map { try $0.splitting(counts: Array(repeating: 1, count: count)) }
        return (0..<count).map { item in split.map { $0[item] } }
    }

    /// Whether `inputs` is an object of tensors by input name (not an image file, not the tensor itself).
    private static func named(_ inputs: JSONValue) -> Bool {
        if case .object = inputs, !V1Coding.isFile(inputs) { true } else { false }
    }

    /// Whether every input's batch dimension is fixed at 1: such a model runs a batch as single items.
    private static func fixedAtOne(_ specs: [TensorSpec]) -> Bool { specs.allSatisfy { $0.shape.first == 1 } }

    /// One input's tensor, batch included: image files for the model's image input, else nested
    /// numbers; checked against `spec` (the batch made free for a model of batch 1), refused
    /// naming the model's own `shownAs`.
    private static func tensor(_ value: JSONValue, field: String, spec: TensorSpec, shownAs: TensorSpec, model: ServedModel) throws -> Tensor {
        let tensor: Tensor
        if V1Coding.isFile(value) {
            tensor = try V1Coding.images([(value, field)], for: model)
        } else if case .array(let items) = value, let first = items.first, V1Coding.isFile(first) {
            // One at a time: the image pipeline packs the model's own batch, which may be fixed at 1.
            let files = items.enumerated().map { (value: $1, field: "\(field)[\($0)]") }
            tensor = try Tensor.concatenating(try V1Coding.contents(of: files).map { try V1Coding.prepare([$0], for: model) })
        } else {
            let input = try SeldonCoding.ndarray(value, field: field)
            // The model's own shape in the refusal when even a free batch does not fit.
            return try SeldonCoding.tensor(input, spec: spec.accepts(shape: input.shape) ? spec : shownAs, model: model.name)
        }
        guard spec.accepts(shape: tensor.shape) else {
            throw LedgeError.invalidInput(
                "field '\(field)': \(tensor.shape.first ?? 1) image(s) make a tensor of shape \(TensorCoding.describe(tensor.shape)), input '\(shownAs.name)' of model '\(model.name)' expects \(shownAs.shapeDescription)"
            )
        }
        return tensor
    }

    /// `spec` with a batch fixed at 1 made free: such a model runs a larger batch one item at a time.
    private static func batchFree(_ spec: TensorSpec) -> TensorSpec {
        guard spec.shape.first == 1 else { return spec }
        var free = spec
        free.shape[0] = -1
        return free
    }

    /// `{"outputs": …}`: the one output's tensor, or an object of them by name.
    static func outputs(_ outputs: [(name: String, tensor: Tensor)]) -> Data {
        var json = SeldonJSON()
        json.raw(#"{"outputs":"#)
        func tensor(_ tensor: Tensor) {
            let elements = SeldonJSON.elements(of: tensor, form: .ndarray)
            if tensor.shape.isEmpty {
                json.bytes(elements[0])
            } else {
                json.nested(elements, shape: tensor.shape, level: 0, offset: 0)
            }
        }
        if outputs.count == 1 {
            tensor(outputs[0].tensor)
        } else {
            json.raw("{")
            for (n, output) in outputs.enumerated() {
                if n > 0 { json.raw(",") }
                json.string(output.name)
                json.raw(":")
                tensor(output.tensor)
            }
            json.raw("}")
        }
        json.raw("}")
        return Data(json.bytes)
    }
}
