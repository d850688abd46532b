#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine
internal import LedgeServing
internal import LedgeVision

/// KServe's v1 protocol (TensorFlow Serving's REST "row" format), as KServe's model server and
/// its `InferenceRESTClient(protocol="v1")` speak it: `{"instances": [I, …]}` in, one prediction
/// per instance out, `{"predictions": [P, …]}`. An instance is the model input's value for one
/// item — nested lists of numbers without the batch dimension — or, for a model of several
/// inputs, an object with one such value per input name; an image input may take a file as
/// TF Serving writes binary values, `{"b64": "<base64 JPEG or PNG>"}`, decoded and preprocessed
/// as `/classify` does. A prediction is the output's row for that item (an object by output
/// name for a model of several outputs). A model whose batch dimension is dynamic runs the
/// instances as one batch; one of a fixed batch of 1 runs each alone.
enum V1Coding {
    /// The `instances` of a predict request's JSON.
    static func instances(_ body: Data) throws -> [JSONValue] {
        guard let json = body.withUnsafeBytes({ JSONParser.parse($0) }), case .object(let members) = json else {
            throw LedgeError.invalidInput("malformed JSON in the request body: expected a JSON object with 'instances'")
        }
        guard let value = members["instances"] else {
            throw LedgeError.invalidInput(
                members["inputs"] != nil
                    ? "field 'inputs' (TensorFlow Serving's columnar form) is not served: send 'instances', one item each, or use /v2/models/{m}/infer"
                    : "missing field 'instances' in the request JSON")
        }
        guard case .array(let items) = value, !items.isEmpty else {
            throw LedgeError.invalidInput(
                "field 'instances' is \(value.kind == "an array" ? "empty" : value.kind): expected an array of one instance or more")
        }
        return items
    }

    /// Each input's tensor for one instance, batch 1, in the model's input order.
    static func tensors(of instance: JSONValue, at index: Int, for model: ServedModel) throws -> [Tensor] {
        let specs = model.info.inputs
        let field = "instances[\(index)]"
        if specs.count == 1 {
            return [try tensor(instance, field: field, spec: specs[0], model: model)]
        }
        guard case .object(let members) = instance else {
            throw LedgeError.invalidInput(
                "field '\(field)' is \(instance.kind): model '\(model.name)' has \(specs.count) inputs, expected an object with \(names(specs))")
        }
        if let unknown = members.keys.sorted().first(where: { key in !specs.contains { $0.name == key } }) {
            throw LedgeError.invalidInput("field '\(field).\(unknown)' is not an input of model '\(model.name)': expected \(names(specs))")
        }
        return try specs.map { spec in
            guard let value = members[spec.name] else {
                throw LedgeError.invalidInput("field '\(field)' has no '\(spec.name)': model '\(model.name)' expects \(names(specs))")
            }
            return try tensor(value, field: "\(field).\(spec.name)", spec: spec, model: model)
        }
    }

    /// One item's tensor for `spec`: `{"b64": …}` an image file for the model's image input, else nested numbers.
    private static func tensor(_ value: JSONValue, field: String, spec: TensorSpec, model: ServedModel) throws -> Tensor {
        if case .object(let members) = value, let encoded = members["b64"] {
            guard case .string(let text) = encoded, members.count == 1, let bytes = Data(base64Encoded: text) else {
                throw LedgeError.invalidInput("field '\(field)' is no {\"b64\": \"<base64>\"} object: expected one base64 string under 'b64'")
            }
            guard let preprocessor = model.imagePipeline?.preprocessor, model.info.inputs.count == 1 else {
                throw LedgeError.invalidInput("field '\(field)': model '\(model.name)' has no image input to take a file: send nested numbers")
            }
            return try preprocessor.decodeAndPrepare([(data: bytes, name: "field '\(field)'")])
        }
        let values = try SeldonCoding.ndarray(.array([value]), field: field)
        return try SeldonCoding.tensor(values, spec: spec, model: model.name)
    }

    private static func names(_ specs: [TensorSpec]) -> String { specs.map { "'\($0.name)'" }.joined(separator: ", ") }

    /// `{"predictions": […]}`: for each of the `count` items, its row of each output (by name when there are several).
    static func predictions(_ outputs: [(name: String, tensor: Tensor)], count: Int) -> Data {
        let rows = outputs.map { output in
            (name: output.name, elements: SeldonJSON.elements(of: output.tensor, form: .ndarray), shape: Array(output.tensor.shape.dropFirst()))
        }
        var json = SeldonJSON()
        json.raw(#"{"predictions":"#)
        json.array(Array(0..<count)) { json, item in
            func row(_ output: (name: String, elements: [ArraySlice<UInt8>], shape: [Int])) {
                let size = output.shape.reduce(1, *)
                if output.shape.isEmpty {
                    json.bytes(output.elements[item])
                } else {
                    json.nested(output.elements, shape: output.shape, level: 0, offset: item * size)
                }
            }
            guard rows.count > 1 else { return row(rows[0]) }
            json.raw("{")
            for (n, output) in rows.enumerated() {
                if n > 0 { json.raw(",") }
                json.string(output.name)
                json.raw(":")
                row(output)
            }
            json.raw("}")
        }
        json.raw("}")
        return Data(json.bytes)
    }
}
