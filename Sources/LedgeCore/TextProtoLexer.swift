/// The tokens of protobuf text format, each with where it starts. Used by
/// ``TextProtoParser``; comments (`# …` to the end of the line) and whitespace
/// are skipped.
struct TextProtoLexer {
    enum Kind: Equatable {
        case identifier(String)
        case number(String)
        case string(String)
        case punctuation(Unicode.Scalar)
        case end

        /// The token as an error message names it.
        var description: String {
            switch self {
            case .identifier(let word): return "'\(word)'"
            case .number(let text): return "number \(text)"
            case .string(let text): return "string \"\(TextProto.printable(text))\""
            case .punctuation(let p): return "'\(p)'"
            case .end: return "end of file"
            }
        }
    }

    struct Token {
        var kind: Kind
        var position: TextProto.Position
    }

    private let scalars: [Unicode.Scalar]
    private let file: String
    private var index = 0
    private var line = 1
    private var column = 1

    init(text: String, file: String) {
        self.scalars = Array(text.unicodeScalars)
        self.file = file
    }

    /// A one-line error at `position`: `FILE:LINE:COL: message`.
    func error(_ message: String, at position: TextProto.Position) -> LedgeError {
        LedgeError.invalidModel("\(file):\(position): \(message)")
    }

    mutating func next() throws -> Token {
        skipSpaceAndComments()
        let start = TextProto.Position(line: line, column: column)
        guard let c = current else { return Token(kind: .end, position: start) }
        if Self.isLetter(c) {
            return Token(kind: .identifier(take { Self.isLetter($0) || Self.isDigit($0) }), position: start)
        }
        if Self.isDigit(c) || ((c == "-" || c == ".") && peek(1).map { Self.isDigit($0) || Self.isLetter($0) } == true) {
            return Token(kind: .number(try number(at: start)), position: start)
        }
        if c == "\"" || c == "'" { return Token(kind: .string(try string(quote: c, at: start)), position: start) }
        if "{}<>[]:,;".unicodeScalars.contains(c) {
            advance()
            return Token(kind: .punctuation(c), position: start)
        }
        throw error("unexpected character '\(TextProto.printable(String(c)))': expected a field name, a value or one of { } [ ] : , ;", at: start)
    }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func take(while keep: (Unicode.Scalar) -> Bool) -> String {
        var text = String.UnicodeScalarView()
        while let c = current, keep(c) {
            text.append(c)
            advance()
        }
        return String(text)
    }

    private mutating func skipSpaceAndComments() {
        while let c = current {
            if c == "#" {
                while let d = current, d != "\n" { advance() }
            } else if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" {
                advance()
            } else {
                return
            }
        }
    }

    /// A number token: decimal or hex integer, or float (`1.5`, `1e-3`, `2f`, `-inf`).
    private mutating func number(at start: TextProto.Position) throws -> String {
        var text = ""
        if current == "-" {
            text = "-"
            advance()
        }
        var previous: Unicode.Scalar = "-"
        while let c = current,
            Self.isLetter(c) || Self.isDigit(c) || c == "."
                || ((c == "+" || c == "-") && (previous == "e" || previous == "E") && !text.lowercased().contains("0x"))
        {
            text.unicodeScalars.append(c)
            previous = c
            advance()
        }
        guard Self.isNumber(text) else {
            throw error("malformed number '\(text)': expected an integer or a decimal number", at: start)
        }
        return text
    }

    static func isNumber(_ text: String) -> Bool {
        let body = text.hasPrefix("-") ? String(text.dropFirst()) : text
        if body.isEmpty { return false }
        if Int64(body) != nil || UInt64(body) != nil { return true }
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) != nil }
        if ["inf", "infinity", "nan"].contains(lower) { return true }
        let float = lower.hasSuffix("f") ? String(lower.dropLast()) : lower
        return float.unicodeScalars.first.map { isDigit($0) || $0 == "." } == true && Double(float) != nil
    }

    /// A quoted string with C escapes, decoded; must be valid UTF-8 once decoded.
    private mutating func string(quote: Unicode.Scalar, at start: TextProto.Position) throws -> String {
        advance()
        var bytes: [UInt8] = []
        while true {
            guard let c = current, c != "\n" else {
                throw error("unterminated string: expected a closing \(quote) on the same line", at: start)
            }
            advance()
            if c == quote { break }
            if c == "\\" {
                try escape(into: &bytes, string: start, quote: quote)
            } else {
                bytes.append(contentsOf: String(c).utf8)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw error("string is not valid UTF-8 once its escapes are decoded: expected UTF-8 text", at: start)
        }
        return text
    }

    private mutating func escape(into bytes: inout [UInt8], string start: TextProto.Position, quote: Unicode.Scalar) throws {
        let at = TextProto.Position(line: line, column: column - 1)
        guard let c = current, c != "\n" else {
            throw error("unterminated string: expected a closing \(quote) on the same line", at: start)
        }
        advance()
        let simple: [Unicode.Scalar: UInt8] = [
            "n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, "'": 39, "\"": 34, "?": 63,
        ]
        if let byte = simple[c] {
            bytes.append(byte)
        } else if ("0"..."7").contains(c) {
            var value = Int(c.value - 48)
            for _ in 0..<2 {
                guard let d = current, ("0"..."7").contains(d) else { break }
                value = value * 8 + Int(d.value - 48)
                advance()
            }
            guard value < 256 else { throw error("octal escape above \\377: expected a byte", at: at) }
            bytes.append(UInt8(value))
        } else if c == "x" || c == "u" || c == "U" {
            let count = c == "x" ? 2 : (c == "u" ? 4 : 8)
            let digits = take(upTo: count) { $0.properties.isASCIIHexDigit }
            guard !digits.isEmpty, c == "x" || digits.count == count, let value = UInt32(digits, radix: 16) else {
                throw error("malformed \\\(c) escape: expected \(c == "x" ? "1 or 2" : String(count)) hex digits", at: at)
            }
            if c == "x" {
                bytes.append(UInt8(value))
            } else if let scalar = Unicode.Scalar(value) {
                bytes.append(contentsOf: String(scalar).utf8)
            } else {
                throw error("\\\(c)\(digits) is not a Unicode scalar: expected a code point", at: at)
            }
        } else {
            throw error("unknown escape '\\\(TextProto.printable(String(c)))': expected one of \\n \\t \\r \\\\ \\' \\\" \\x.. \\u....", at: at)
        }
    }

    private mutating func take(upTo count: Int, while keep: (Unicode.Scalar) -> Bool) -> String {
        var text = ""
        while text.unicodeScalars.count < count, let c = current, keep(c) {
            text.unicodeScalars.append(c)
            advance()
        }
        return text
    }

    private static func isLetter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
}
