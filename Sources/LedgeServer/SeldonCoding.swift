#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// Seldon Core's v1 protocol: a `SeldonMessage` as JSON, decoded into what
/// Ledge runs. A message carries exactly one of:
/// - `data`: one tensor, `{"ndarray": [[…]]}` (nested lists) or
///   `{"tensor": {"shape": […], "values": […]}}` (flat), with optional `names`
///   (column names, accepted and not used), for a model with one input;
/// - `binData`: base64 image bytes (JPEG or PNG) for the model's classifier;
/// - `jsonData`: an object with one `{"ndarray" | "tensor"}` per input name,
///   for models with several inputs (or to get every output back by name).
///
/// `strData`, `customData` and `tftensor` are refused. `meta` (`puid`, `tags`,
/// `metrics`, `requestPath`) is kept to be echoed as Seldon's wrapper does.
enum SeldonCoding {
    /// How a tensor came: the answer uses the same form.
    enum Form: Sendable { case ndarray, tensor }

    /// One tensor of a request: its shape and its values, row-major.
    struct Input: Sendable {
        var form: Form
        var shape: [Int]
        var values: [JSONValue]
        /// Where it is in the message, for error messages: `data.ndarray`.
        var field: String
    }

    enum Payload: Sendable {
        case data(Input)
        case binData(Data)
        /// Inputs by name, in name order.
        case jsonData([(name: String, input: Input)])
    }

    /// A decoded prediction request.
    struct Message: Sendable {
        var payload: Payload
        /// The request's `meta` object (empty when absent).
        var meta: [String: JSONValue]
    }

    /// The payload keys of a `SeldonMessage`, in the wrapper's order of precedence.
    static let payloadKeys = ["data", "jsonData", "strData", "binData", "customData"]

    /// Decodes the JSON of a prediction request.
    static func decode(_ json: JSONValue) throws -> Message {
        guard case .object(let fields) = json else {
            throw LedgeError.invalidInput("the request is \(json.kind): expected a Seldon message object with 'data', 'binData' or 'jsonData'")
        }
        var meta: [String: JSONValue] = [:]
        switch fields["meta"] {
        case nil, .null?: break
        case .object(let object)?: meta = object
        case let other?: throw LedgeError.invalidInput("field 'meta' is \(other.kind): expected an object")
        }
        let present = payloadKeys.filter { fields[$0] != nil }
        guard present.count == 1, let key = present.first, let value = fields[key] else {
            throw LedgeError.invalidInput(
                present.isEmpty
                    ? "the request has none of 'data', 'binData' or 'jsonData': expected exactly one"
                    : "the request has \(present.map { "'\($0)'" }.joined(separator: " and ")): expected exactly one payload")
        }
        switch key {
        case "data": return Message(payload: .data(try defaultData(value, field: "data")), meta: meta)
        case "binData":
            guard case .string(let text) = value, let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw LedgeError.invalidInput("field 'binData' is not base64 text: expected the image bytes (JPEG or PNG) in base64")
            }
            return Message(payload: .binData(bytes), meta: meta)
        case "jsonData":
            guard case .object(let entries) = value, !entries.isEmpty else {
                throw LedgeError.invalidInput(
                    "field 'jsonData' is \(value.kind == "an object" ? "an empty object" : value.kind): expected an object with one {\"ndarray\": …} or {\"tensor\": …} per input name"
                )
            }
            let inputs = try entries.sorted { $0.key < $1.key }.map { (name: $0.key, input: try defaultData($0.value, field: "jsonData.\($0.key)")) }
            return Message(payload: .jsonData(inputs), meta: meta)
        default:
            throw LedgeError.invalidInput(
                "'\(key)' payloads are not supported: expected 'data' (ndarray or tensor), 'binData' (an image) or 'jsonData'")
        }
    }

    /// A `DefaultData` object: `{"ndarray": …}` or `{"tensor": …}`, `names` optional.
    private static func defaultData(_ value: JSONValue, field: String) throws -> Input {
        guard case .object(let fields) = value else {
            throw LedgeError.invalidInput("field '\(field)' is \(value.kind): expected an object with 'ndarray' or 'tensor'")
        }
        if let names = fields["names"] {
            guard case .array(let items) = names, items.allSatisfy({ if case .string = $0 { true } else { false } }) else {
                throw LedgeError.invalidInput("field '\(field).names' is not an array of strings: expected column names")
            }
        }
        if let tensor = fields["tensor"] { return try self.tensor(tensor, field: field + ".tensor") }
        if let ndarray = fields["ndarray"] { return try self.ndarray(ndarray, field: field + ".ndarray") }
        if fields["tftensor"] != nil {
            throw LedgeError.invalidInput("field '\(field).tftensor' is not supported: expected 'ndarray' or 'tensor'")
        }
        throw LedgeError.invalidInput("field '\(field)' has neither 'ndarray' nor 'tensor': expected one of them")
    }

    /// Nested lists: the shape is read from the first element at each depth and every row must match it.
    static func ndarray(_ value: JSONValue, field: String) throws -> Input {
        guard case .array = value else { throw LedgeError.invalidInput("field '\(field)' is \(value.kind): expected an array") }
        var shape: [Int] = []
        var probe = value
        while case .array(let items) = probe {
            shape.append(items.count)
            guard let first = items.first else { break }
            probe = first
        }
        var values: [JSONValue] = []
        values.reserveCapacity(ShapeArithmetic.elementCount(shape) ?? 0)
        try collect(value, depth: 0, shape: shape, into: &values, field: field)
        return Input(form: .ndarray, shape: shape, values: values, field: field)
    }

    private static func collect(_ value: JSONValue, depth: Int, shape: [Int], into values: inout [JSONValue], field: String) throws {
        guard depth < shape.count else {
            guard isScalar(value) else {
                throw LedgeError.invalidInput(
                    "field '\(field)' holds \(value.kind) at depth \(depth): expected numbers or booleans in a rectangular array of shape \(TensorCoding.describe(shape))"
                )
            }
            values.append(value)
            return
        }
        guard case .array(let items) = value, items.count == shape[depth] else {
            throw LedgeError.invalidInput(
                "field '\(field)' is not rectangular: a row at depth \(depth) is \(value.kind == "an array" ? "of another length" : value.kind), expected every row to match shape \(TensorCoding.describe(shape))"
            )
        }
        for item in items { try collect(item, depth: depth + 1, shape: shape, into: &values, field: field) }
    }

    /// `{"shape": […], "values": […]}`: values flat, row-major.
    private static func tensor(_ value: JSONValue, field: String) throws -> Input {
        guard case .object(let fields) = value else {
            throw LedgeError.invalidInput("field '\(field)' is \(value.kind): expected an object with 'shape' and 'values'")
        }
        guard case .array(let dims)? = fields["shape"] else {
            throw LedgeError.invalidInput("field '\(field).shape' is \(fields["shape"]?.kind ?? "missing"): expected an array of integers")
        }
        // Integral floats too: a message that went through protobuf's Struct (jsonData does in
        // SeldonClient) has every number as a double.
        let shape = try dims.map { dim -> Int in
            switch dim {
            case .int(let size) where size >= 0: return Int(size)
            case .number(let size) where size >= 0 && size.rounded() == size && size < 0x1p63: return Int(size)
            default: throw LedgeError.invalidInput("field '\(field).shape' holds \(describe(dim)): expected sizes of 0 or more")
            }
        }
        guard case .array(let values)? = fields["values"] else {
            throw LedgeError.invalidInput("field '\(field).values' is \(fields["values"]?.kind ?? "missing"): expected an array of numbers")
        }
        if let bad = values.first(where: { !isScalar($0) }) {
            throw LedgeError.invalidInput("field '\(field).values' holds \(bad.kind): expected numbers")
        }
        guard let count = ShapeArithmetic.elementCount(shape), count == values.count else {
            throw LedgeError.invalidInput(
                "field '\(field)': shape \(TensorCoding.describe(shape)) needs \(ShapeArithmetic.elementCount(shape).map(String.init) ?? "more") values, got \(values.count) in 'values'"
            )
        }
        return Input(form: .tensor, shape: shape, values: values, field: field)
    }

    /// The tensor for model input `spec` from `input`: shape checked against the model, values converted to its type.
    static func tensor(_ input: Input, spec: TensorSpec, model: String) throws -> Tensor {
        guard spec.accepts(shape: input.shape) else {
            throw LedgeError.invalidInput(
                "field '\(input.field)': shape \(TensorCoding.describe(input.shape)) does not match input '\(spec.name)' of model '\(model)': expected \(spec.shapeDescription)"
            )
        }
        let count = try ShapeArithmetic.check(input: spec.name, shape: input.shape, dtype: spec.dtype, limit: .max).count
        return try TensorCoding.tensor(name: spec.name, dtype: spec.dtype, shape: input.shape, count: count, data: .array(input.values))
    }

    private static func isScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .number, .int, .uint, .bool: return true
        default: return false
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let number): return String(number)
        case .int(let int): return String(int)
        case .uint(let uint): return String(uint)
        default: return value.kind
        }
    }
}
