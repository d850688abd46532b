/// Recursive descent over ``TextProtoLexer``'s tokens into a ``TextProto`` tree.
struct TextProtoParser {
    /// Messages nested deeper than this are refused (a stack guard against hostile files).
    static let maximumDepth = 64

    private var lexer: TextProtoLexer
    private var lookahead: TextProtoLexer.Token?

    init(text: String, file: String) {
        self.lexer = TextProtoLexer(text: text, file: file)
    }

    mutating func parseDocument() throws -> TextProto {
        try parseFields(closing: nil, opener: nil, depth: 0)
    }

    private mutating func peek() throws -> TextProtoLexer.Token {
        if let token = lookahead { return token }
        let token = try lexer.next()
        lookahead = token
        return token
    }

    private mutating func take() throws -> TextProtoLexer.Token {
        let token = try peek()
        lookahead = nil
        return token
    }

    /// Fields up to `closing` (or the end of the text when `closing` is nil).
    private mutating func parseFields(
        closing: Unicode.Scalar?, opener: (name: String, position: TextProto.Position)?, depth: Int
    ) throws -> TextProto {
        var fields: [TextProto.Field] = []
        while true {
            let token = try take()
            switch token.kind {
            case .end:
                guard let closing, let opener else { return TextProto(fields: fields) }
                throw lexer.error(
                    "end of file inside '\(opener.name)' opened at \(opener.position): expected '\(closing)'",
                    at: token.position)
            case .punctuation(let p) where p == closing:
                return TextProto(fields: fields)
            case .identifier(let name):
                fields.append(try parseField(name: name, at: token.position, depth: depth))
                if case .punctuation(let p) = try peek().kind, p == "," || p == ";" { _ = try take() }
            case .punctuation("["):
                throw lexer.error("extension or Any fields ('[…]') are not supported: expected a field name", at: token.position)
            default:
                let wanted = closing.map { "a field name or '\($0)'" } ?? "a field name"
                throw lexer.error("unexpected \(token.kind.description): expected \(wanted)", at: token.position)
            }
        }
    }

    private mutating func parseField(name: String, at position: TextProto.Position, depth: Int) throws -> TextProto.Field {
        let next = try peek()
        switch next.kind {
        case .punctuation(":"):
            _ = try take()
            return TextProto.Field(name: name, value: try parseValue(field: name, depth: depth, inList: false), position: position)
        case .punctuation("{"), .punctuation("<"), .punctuation("["):
            return TextProto.Field(name: name, value: try parseValue(field: name, depth: depth, inList: false), position: position)
        default:
            throw lexer.error(
                "\(next.kind.description) after field '\(name)': expected ':' or '{'", at: next.position)
        }
    }

    private mutating func parseValue(field: String, depth: Int, inList: Bool) throws -> TextProto.Value {
        let token = try take()
        switch token.kind {
        case .punctuation("{"), .punctuation("<"):
            guard depth < Self.maximumDepth else {
                throw lexer.error(
                    "messages nested deeper than \(Self.maximumDepth): expected at most \(Self.maximumDepth) levels",
                    at: token.position)
            }
            let closing: Unicode.Scalar = token.kind == .punctuation("{") ? "}" : ">"
            return .message(try parseFields(closing: closing, opener: (field, token.position), depth: depth + 1))
        case .punctuation("[") where !inList:
            return .list(try parseList(field: field, opened: token.position, depth: depth))
        case .identifier(let word):
            return .identifier(word)
        case .number(let text):
            return .number(text)
        case .string(var text):
            while case .string(let more) = try peek().kind {
                text += more
                _ = try take()
            }
            return .string(text)
        default:
            let place = inList ? "in the list of '\(field)'" : "after '\(field):'"
            throw lexer.error("unexpected \(token.kind.description) \(place): expected a value", at: token.position)
        }
    }

    private mutating func parseList(field: String, opened: TextProto.Position, depth: Int) throws -> [TextProto.Element] {
        var elements: [TextProto.Element] = []
        if try peek().kind == .punctuation("]") {
            _ = try take()
            return elements
        }
        while true {
            let start = try peek()
            if start.kind == .end {
                throw lexer.error("end of file inside the list of '\(field)' opened at \(opened): expected ']'", at: start.position)
            }
            elements.append(
                TextProto.Element(value: try parseValue(field: field, depth: depth, inList: true), position: start.position))
            let separator = try take()
            switch separator.kind {
            case .punctuation(","): continue
            case .punctuation("]"): return elements
            case .end:
                throw lexer.error("end of file inside the list of '\(field)' opened at \(opened): expected ']'", at: separator.position)
            default:
                throw lexer.error(
                    "unexpected \(separator.kind.description) in the list of '\(field)': expected ',' or ']'",
                    at: separator.position)
            }
        }
    }
}
