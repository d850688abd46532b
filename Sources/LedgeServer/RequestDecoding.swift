internal import Foundation

/// Decodes the JSON of an inference request into ``V2InferenceRequest``,
/// turning decoding errors into one-line 400 messages naming the field.
enum RequestDecoding {
    static func decode(_ bytes: Data) throws -> V2InferenceRequest {
        // The fast path; anything it does not take goes through JSONDecoder for the exact error.
        let fast = bytes.withUnsafeBytes { raw in JSONParser.parse(raw).flatMap(V2InferenceRequest.init(fast:)) }
        if let fast { return fast }
        do {
            return try JSONDecoder().decode(V2InferenceRequest.self, from: bytes)
        } catch let error as DecodingError {
            throw ServerError.badRequest(message(for: error))
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
        case is [Int].Type: return "an array of integers"
        case is [V2RequestInput].Type, is [V2RequestOutput].Type: return "an array of objects"
        case is [String: JSONValue].Type, is V2InferenceRequest.Type, is V2RequestInput.Type,
             is V2RequestOutput.Type, is V2Parameters.Type: return "an object"
        default: return String(describing: type)
        }
    }
}
