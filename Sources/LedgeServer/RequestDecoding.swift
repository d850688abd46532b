#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// Decodes the JSON of an inference request into ``V2InferenceRequest`` (``JSONParser``, then
/// ``V2InferenceRequest/init(json:)``), its errors one-line 400 messages naming the field; and words
/// `JSONDecoder`'s errors the same way for the small bodies other routes decode with it.
enum RequestDecoding {
    static func decode(_ bytes: Data) throws -> V2InferenceRequest {
        // Our parser judges syntax (RFC 8259: no trailing commas, no NaN, UTF-8 only).
        guard let json = bytes.withUnsafeBytes({ JSONParser.parse($0) }) else {
            throw LedgeError.invalidInput("malformed JSON in the request body: expected a JSON object with 'inputs'")
        }
        do {
            return try V2InferenceRequest(json: json)
        } catch {
            // A number where an integer belongs is worded with its value, wherever it is.
            try checkShapes(json)
            throw error
        }
    }

    /// A shape is an array of integer literals: `1.0` is not a dimension; nor is `2.5` a count in
    /// the parameters Ledge reads as integers. Run on a request that failed, these errors, which
    /// give the value, come before the field walk's.
    private static func checkShapes(_ json: JSONValue) throws {
        guard case .object(let members) = json else { return }
        try checkIntegers(members["parameters"], at: "parameters")
        for list in ["inputs", "outputs"] {
            guard case .array(let tensors)? = members[list] else { continue }
            for (i, tensor) in tensors.enumerated() {
                guard case .object(let fields) = tensor else { continue }
                try checkIntegers(fields["parameters"], at: "\(list)[\(i)].parameters")
                guard list == "inputs", case .array(let dims)? = fields["shape"] else { continue }
                for (d, dim) in dims.enumerated() {
                    switch dim {
                    case .int: continue
                    case .uint, .number:
                        throw LedgeError.invalidInput(
                            "field 'inputs[\(i)].shape[\(d)]' is \(describe(dim)): expected an integer dimension from 0 to \(Int.max)")
                    default: continue
                    }
                }
            }
        }
    }

    /// The parameters read as integers.
    private static let integerParameters = [
        "binary_data_size", "classification", "priority", "shared_memory_byte_size", "shared_memory_offset", "timeout",
    ]

    private static func checkIntegers(_ parameters: JSONValue?, at path: String) throws {
        guard case .object(let fields)? = parameters else { return }
        for key in integerParameters {
            guard let value = fields[key] else { continue }
            switch value {
            case .uint, .number: throw LedgeError.invalidInput("field '\(path).\(key)' is \(describe(value)): expected an integer")
            default: continue
            }
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let number): return String(number)
        case .uint(let uint): return String(uint)
        default: return value.kind
        }
    }

    static func message(for error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "malformed JSON in the request body: expected a JSON object with 'inputs'"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))' in the request JSON"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' has the wrong type: expected \(describe(type))"
        @unknown default:
            return "malformed request JSON"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "(root)" : text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "a boolean"
        case is [String: Any].Type: return "an object"
        default: return String(describing: type)
        }
    }
}
