#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The C locale, for number parsing that no `setlocale` can change.
nonisolated(unsafe) private let cLocale: locale_t? = newlocale(1 << LC_NUMERIC, "C", nil)  // LC_NUMERIC_MASK

/// A strict single-pass JSON parser (RFC 8259) into ``JSONValue``, for the hot
/// path of `infer`: Foundation's `JSONDecoder` costs more than a small model's
/// inference, and is lenient where the RFC is not (it takes trailing commas).
/// It is the judge of syntax: text it refuses is malformed. Integer literals
/// parse as ``JSONValue/int(_:)`` or ``JSONValue/uint(_:)``, other numbers as
/// ``JSONValue/number(_:)``, so `1` and `1.0` stay apart.
///
/// The `data` of each object in the top-level `inputs` array (a V2 request's
/// tensors) is read into ``JSONValue/numbers(_:)`` when it holds numbers only:
/// one packed buffer instead of a value per number.
package struct JSONParser {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0

    /// Nesting deeper than this is refused (a tensor has few dimensions).
    package static let maxDepth = 64

    /// Parses `bytes` whole; `nil` when it is not one well-formed JSON value
    /// (or nests deeper than ``maxDepth``).
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        // Numbers are read by strtod, whose decimal point is the thread's locale's: C, for this call.
        let previous = cLocale.flatMap { uselocale($0) }
        defer { if let previous { uselocale(previous) } }
        var parser = JSONParser(bytes: bytes)
        guard let value = parser.value(.root) else { return nil }
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

    /// Where a value sits, as far as packing tensor data goes.
    private enum Role {
        case root, inputs, input, other
    }

    private mutating func value(_ role: Role = .other) -> JSONValue? {
        skipSpace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "["): return array(role)
        case UInt8(ascii: "{"): return object(role)
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

    private mutating func array(_ role: Role) -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { return nil }
        index += 1
        var items: [JSONValue] = []
        skipSpace()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            guard let item = value(role == .inputs ? .input : .other) else { return nil }
            items.append(item)
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(items)
            default: return nil
            }
        }
    }

    private mutating func object(_ role: Role) -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { return nil }
        index += 1
        skipSpace()
        if current == UInt8(ascii: "}") { index += 1; return .object([:]) }
        // Room for a V2 request's objects (an input has 4 to 6 members): one allocation, where
        // growing from empty took three and rehashed the members each time.
        var members = [String: JSONValue](minimumCapacity: 8)
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipSpace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            let item: JSONValue?
            switch (role, key) {
            case (.root, "inputs"): item = value(.inputs)
            case (.input, "data"): item = packedNumbers() ?? value()
            default: item = value()
            }
            guard let item else { return nil }
            members[key] = item
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: return nil
            }
        }
    }

    /// Nested arrays of numbers only, flattened into one buffer. `nil`, with the
    /// position restored, for anything else (the caller then parses a value).
    private mutating func packedNumbers() -> JSONValue? {
        skipSpace()
        let start = index
        guard current == UInt8(ascii: "[") else { return nil }
        var packed = PackedNumbers()
        var open = 0
        var expectValue = true  // after `[` or `,`
        while true {
            skipSpace()
            guard let byte = current else { break }
            if expectValue {
                if byte == UInt8(ascii: "[") {
                    open += 1
                    guard depth + open <= Self.maxDepth else { break }
                    index += 1
                    skipSpace()
                    if current != UInt8(ascii: "]") { continue }
                    index += 1
                    open -= 1
                } else {
                    switch number() {
                    case .number(let value)?: packed.append(value, integerLiteral: false)
                    case .int(let value)? where value.magnitude <= Self.exactLimit: packed.append(Double(value), integerLiteral: true)
                    default: index = start; return nil
                    }
                }
                expectValue = false
                if open == 0 { return .numbers(packed) }
                continue
            }
            if byte == UInt8(ascii: ",") {
                index += 1
                expectValue = true
            } else if byte == UInt8(ascii: "]") {
                index += 1
                open -= 1
                if open == 0 { return .numbers(packed) }
            } else {
                break
            }
        }
        index = start
        return nil
    }

    /// A string: sliced straight out of the bytes when it has no escapes,
    /// else unescaped (`\uXXXX` with surrogate pairs). Invalid UTF-8, a raw
    /// control character or a bad escape is malformed.
    private mutating func string() -> String? {
        index += 1
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return ascii ? Self.asciiString(text) : String(validating: text, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            if byte < 0x20 { return nil }
            ascii = ascii && byte < 0x80
            index += 1
        }
        return nil
    }

    /// A string of ASCII bytes, copied: names and datatypes, the strings of most requests.
    /// (`String(validating:as:)` is generic and its validation found nothing to do; it cost
    /// 1.5 % of a small model's infer request.)
    private static func asciiString(_ text: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: text.count) { buffer in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: text)
            return text.count
        }
    }

    private mutating func escapedString(from start: Int) -> String? {
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escape = current else { return nil }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    utf8.append(contentsOf: String(Character(unicode)).utf8)
                default: return nil
                }
            case 0..<0x20: return nil
            default: utf8.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
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
        // The literal as significand × 10^exponent, while the significand stays exact in a Double.
        var significand = integer
        var exact = !overflow && integer <= Self.exactLimit
        var exponent = 0
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fractionStart = index
            while let digit = current, digit >= 0x30, digit <= 0x39 {
                if exact {
                    significand = significand &* 10 &+ UInt64(digit - 0x30)
                    exponent -= 1
                    exact = significand <= Self.exactLimit
                }
                index += 1
            }
            guard index > fractionStart else { return nil }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            var sign = 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                sign = current == UInt8(ascii: "-") ? -1 : 1
                index += 1
            }
            let exponentStart = index
            var written = 0
            while let digit = current, digit >= 0x30, digit <= 0x39 {
                written = min(written * 10 + Int(digit - 0x30), 100_000)
                index += 1
            }
            guard index > exponentStart else { return nil }
            exponent += sign * written
        }
        if !isInteger, exact, (-22...22).contains(exponent) {
            // Clinger's fast path: the significand and 10^|exponent| are exact Doubles, so one
            // multiplication or division gives the correctly rounded value, as strtod would.
            let magnitude = Double(significand)
            let value = exponent < 0 ? magnitude / Self.powersOfTen[-exponent] : magnitude * Self.powersOfTen[exponent]
            return .number(negative ? -value : value)
        }
        if isInteger && !overflow {
            // Integer literals stay integers (a shape must be written as one; `1.0` is not).
            if negative {
                if integer == 0 { return .number(-0.0) }  // `-0` keeps its sign, as a float
                guard integer <= UInt64(Int64.max) + 1 else { return .number(-Double(integer)) }
                return .int(integer == UInt64(Int64.max) + 1 ? .min : -Int64(integer))
            }
            return integer <= UInt64(Int64.max) ? .int(Int64(integer)) : .uint(integer)
        }
        guard let double = Self.double(UnsafeRawBufferPointer(rebasing: bytes[start..<index])), double.isFinite else { return nil }
        return .number(double)
    }

    /// Significands up to 2^53 are exact in a Double.
    private static let exactLimit: UInt64 = 1 << 53
    /// 10^0 … 10^22, each exact in a Double.
    private static let powersOfTen: [Double] = (0...22).map { power in (0..<power).reduce(1.0) { value, _ in value * 10 } }

    /// The correctly rounded value of a number literal the parser has checked: `strtod` (in
    /// the C locale, see ``parse(_:)``) over a copy on the stack (a `String` per number cost
    /// a heap allocation, most of a large JSON tensor's parse).
    private static func double(_ literal: UnsafeRawBufferPointer) -> Double? {
        guard literal.count < 64, cLocale != nil else {
            return Double(String(decoding: literal, as: UTF8.self))
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            for (i, byte) in literal.enumerated() { buffer[i] = CChar(bitPattern: byte) }
            buffer[literal.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            return end == buffer.baseAddress! + literal.count ? value : nil
        }
    }
}
