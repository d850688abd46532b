/// A strict single-pass JSON parser (RFC 8259) into ``JSONValue``, for the hot
/// path of `infer`: Foundation's `JSONDecoder` costs more than a small model's
/// inference. It reports only *that* the text is not what it expects; the
/// caller then decodes with `JSONDecoder` to word the exact error.
struct JSONParser {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0

    /// Nesting deeper than this is refused (a tensor has few dimensions).
    static let maxDepth = 64

    /// Parses `bytes` whole; `nil` when it is not one well-formed JSON value.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        var parser = JSONParser(bytes: bytes)
        guard let value = parser.value() else { return nil }
        parser.skipSpace()
        return parser.index == bytes.count ? value : nil
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value() -> JSONValue? {
        skipSpace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return nil }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { return nil }
        index += count
        return value
    }

    private mutating func array() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { return nil }
        index += 1
        var items: [JSONValue] = []
        skipSpace()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            guard let item = value() else { return nil }
            items.append(item)
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(items)
            default: return nil
            }
        }
    }

    private mutating func object() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { return nil }
        index += 1
        var members: [String: JSONValue] = [:]
        skipSpace()
        if current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipSpace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let item = value() else { return nil }
            members[key] = item
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: return nil
            }
        }
    }

    /// A string without escapes is sliced straight out of the bytes; one with
    /// escapes (rare in requests) is left to `JSONDecoder`.
    private mutating func string() -> String? {
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                // Invalid UTF-8 decodes with replacement characters: leave it to JSONDecoder.
                return text.utf8.count == index - 1 - start ? text : nil
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    private mutating func number() -> JSONValue? {
        let start = index
        var negative = false
        if current == UInt8(ascii: "-") { negative = true; index += 1 }
        guard let first = current, first >= 0x30, first <= 0x39 else { return nil }
        var integer: UInt64 = 0
        var overflow = false
        if first == 0x30 {
            index += 1
        } else {
            while let digit = current, digit >= 0x30, digit <= 0x39 {
                let (times, o1) = integer.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(UInt64(digit - 0x30))
                overflow = overflow || o1 || o2
                integer = sum
                index += 1
            }
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard digits() else { return nil }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return nil }
        }
        if isInteger && !overflow {
            // The same cases JSONValue's Decodable init makes: Double unless it would lose digits.
            if integer < 1 << 53 { return .number(negative ? -Double(integer) : Double(integer)) }
            if negative { return integer <= UInt64(Int64.max) + 1 ? .int(integer == UInt64(Int64.max) + 1 ? .min : -Int64(integer)) : nil }
            return integer <= UInt64(Int64.max) ? .int(Int64(integer)) : .uint(integer)
        }
        if isInteger { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else { return nil }
        return .number(double)
    }

    private mutating func digits() -> Bool {
        let start = index
        while let digit = current, digit >= 0x30, digit <= 0x39 { index += 1 }
        return index > start
    }
}
