#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// Where a Seldon message may come from besides a JSON body, as the Python
/// wrapper's `get_request` reads them: the `json` field of a URL-encoded form
/// or query, and multipart forms whose fields are the message's keys.
enum SeldonForm {
    /// The value of field `name` in URL-encoded `text` (`a=1&b=2`, `+` a space, `%XX` a byte);
    /// `nil` when absent. A `%` not followed by two hex digits is refused.
    static func field(_ name: String, in text: some Collection<UInt8>) throws -> [UInt8]? {
        for pair in text.split(separator: UInt8(ascii: "&")) {
            let key = pair.prefix { $0 != UInt8(ascii: "=") }
            guard try decode(key, field: "a form field name") == Array(name.utf8) else { continue }
            return try decode(pair.dropFirst(key.count + 1), field: "form field '\(name)'")
        }
        return nil
    }

    private static func decode(_ text: some Collection<UInt8>, field: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hex), let low = iterator.next().flatMap(hex) else {
                    throw LedgeError.invalidInput("\(field) has a '%' not followed by two hex digits: expected URL encoding")
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return bytes
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `bytes` parsed as JSON, else a 400 naming where they came from.
    static func json(_ bytes: [UInt8], from source: String) throws -> JSONValue {
        guard let value = bytes.withUnsafeBytes({ JSONParser.parse($0) }) else {
            throw LedgeError.invalidInput("malformed JSON in \(source): expected a Seldon message object with 'data', 'binData' or 'jsonData'")
        }
        return value
    }

    /// A multipart form as a message: `binData` (a file) becomes base64 text, `strData` stays
    /// text, every other field is parsed as JSON, as the wrapper's `get_multi_form_data_request` does.
    static func multipart(_ body: Data, contentType: String) throws -> JSONValue {
        var message: [String: JSONValue] = [:]
        for part in try Multipart.parse(body, boundary: try Multipart.boundary(contentType: contentType)) {
            guard let name = part.fieldName else { continue }
            switch name {
            case "binData": message[name] = .string(part.body.base64EncodedString())
            case "strData": message[name] = .string(String(decoding: part.body, as: UTF8.self))
            default: message[name] = try json(Array(part.body), from: "form field '\(HeaderValue.printable(name))'")
            }
        }
        return .object(message)
    }
}
