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
    /// What a predict request asks: TensorFlow Serving's row form (`instances`, one item each) or
    /// its columnar form (`inputs`, each input's whole batch).
    enum Body {
        case rows([JSONValue])
        case columns(JSONValue)
    }

    /// The signature every model is served under (TensorFlow Serving's default).
    static let signature = "serving_default"

    /// The most image files (`{"b64": …}`) one request may carry: each becomes a whole input tensor.
    static let maxFiles = ServedModel.maxEncodedImages

    /// The request's JSON, read as its form, for `model`: `signature_name` absent, empty or
    /// ``signature``; exactly one of `instances` and `inputs`; at most ``maxFiles`` image files.
    static func request(_ body: Data, model: String) throws -> Body {
        guard let json = body.withUnsafeBytes({ JSONParser.parse($0) }), case .object(let members) = json else {
            throw LedgeError.invalidInput("malformed JSON in the request body: expected a JSON object with 'instances' or 'inputs'")
        }
        if let name = members["signature_name"] {
            guard case .string(let text) = name, text.isEmpty || text == signature else {
                throw LedgeError.invalidInput(
                    "field 'signature_name' is \(describe(name)): model '\(model)' is served under one signature, '\(signature)'")
            }
        }
        let body: Body
        switch (members["instances"], members["inputs"]) {
        case (.some, .some):
            throw LedgeError.invalidInput("the request JSON has both 'instances' and 'inputs': expected one of them")
        case (nil, nil):
            throw LedgeError.invalidInput("missing field 'instances' or 'inputs' in the request JSON")
        case (nil, .some(let inputs)):
            body = .columns(inputs)
        case (.some(let value), nil):
            guard case .array(let items) = value, !items.isEmpty else {
                throw LedgeError.invalidInput(
                    "field 'instances' is \(value.kind == "an array" ? "empty" : value.kind): expected an array of one instance or more")
            }
            body = .rows(items)
        }
        let files: Int
        switch body {
        case .rows(let items): files = items.reduce(0) { $0 + (isFile($1) ? 1 : values(of: $1).filter(isFile).count) }
        case .columns(let inputs): files = (isFile(inputs) ? [inputs] : values(of: inputs)).reduce(0) { $0 + fileCount($1) }
        }
        guard files <= maxFiles else {
            throw LedgeError.invalidInput("the request holds \(files) image files ({\"b64\": …}): at most \(maxFiles) in one request")
        }
        return body
    }

    /// Whether `value` is TensorFlow Serving's binary value, `{"b64": …}`.
    static func isFile(_ value: JSONValue) -> Bool {
        if case .object(let members) = value, members["b64"] != nil { true } else { false }
    }

    /// The image files of one column: the value itself, or the items of its list.
    private static func fileCount(_ value: JSONValue) -> Int {
        if isFile(value) { return 1 }
        if case .array(let items) = value { return items.filter(isFile).count }
        return 0
    }

    /// An object's values (an input's value per name), else `value` alone.
    private static func values(of value: JSONValue) -> [JSONValue] {
        if case .object(let members) = value { Array(members.values) } else { [value] }
    }

    private static func describe(_ value: JSONValue) -> String {
        if case .string(let text) = value { "'\(text)'" } else { value.kind }
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
        if isFile(value) { return try images([(value, field)], for: model) }
        let values = try SeldonCoding.ndarray(.array([value]), field: field)
        return try SeldonCoding.tensor(values, spec: spec, model: model.name)
    }

    /// The input tensor of the image files `files` (`{"b64": …}` each, named by its field): one per
    /// item, decoded and preprocessed by the model's image pipeline.
    static func images(_ files: [(value: JSONValue, field: String)], for model: ServedModel) throws -> Tensor {
        try prepare(try contents(of: files), for: model)
    }

    /// The bytes of each image file, named by its field for the decoder's errors.
    static func contents(of files: [(value: JSONValue, field: String)]) throws -> [(data: Data, name: String)] {
        try files.map { value, field in
            guard case .object(let members) = value, case .string(let text)? = members["b64"], members.count == 1,
                let bytes = Data(base64Encoded: text)
            else {
                throw LedgeError.invalidInput("field '\(field)' is no {\"b64\": \"<base64>\"} object: expected one base64 string under 'b64'")
            }
            return (data: bytes, name: "field '\(field)'")
        }
    }

    /// The input tensor of image files' `contents`, decoded and preprocessed by the model's image pipeline.
    static func prepare(_ contents: [(data: Data, name: String)], for model: ServedModel) throws -> Tensor {
        guard let preprocessor = model.imagePipeline?.preprocessor, model.info.inputs.count == 1 else {
            throw LedgeError.invalidInput("\(contents[0].name): model '\(model.name)' has no image input to take a file: send nested numbers")
        }
        return try preprocessor.decodeAndPrepare(contents)
    }

    static func names(_ specs: [TensorSpec]) -> String { specs.map { "'\($0.name)'" }.joined(separator: ", ") }

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
