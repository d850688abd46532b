/// A message in protobuf text format, the format of Triton's `config.pbtxt`,
/// as a tree of fields that each know their line and column.
///
/// The tree knows no schema: a scalar keeps the text of its token (a number,
/// an identifier such as `TYPE_FP32` or `true`) or the decoded string, and
/// the reader of the tree decides what each field may hold. A list
/// (`dims: [1, 2]`, `input [ {…}, {…} ]`) stays one field whose value is a
/// ``Value/list(_:)``; a repeated field written twice is two fields.
public struct TextProto: Sendable, Hashable {
    /// Where a token starts: 1-based line and column (columns count Unicode scalars).
    public struct Position: Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var column: Int

        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }

        /// `LINE:COL`.
        public var description: String { "\(line):\(column)" }
    }

    /// One `name: value` or `name { … }` of a message.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: Value
        /// Where the field's name starts.
        public var position: Position

        public init(name: String, value: Value, position: Position) {
            self.name = name
            self.value = value
            self.position = position
        }
    }

    /// One element of a list, with where it starts.
    public struct Element: Sendable, Hashable {
        public var value: Value
        public var position: Position

        public init(value: Value, position: Position) {
            self.value = value
            self.position = position
        }
    }

    /// The value of a field or of a list element.
    public indirect enum Value: Sendable, Hashable, CustomStringConvertible {
        /// A bare word: an enum value (`TYPE_FP32`, `KIND_CPU`), `true`, `false`, `inf`.
        case identifier(String)
        /// A number as written: `-1`, `8`, `0.5`, `1e-3`.
        case number(String)
        /// A quoted string, escapes decoded (adjacent strings joined).
        case string(String)
        /// A nested message, `{ … }` or `< … >`.
        case message(TextProto)
        /// `[ … ]`.
        case list([Element])

        /// The value as an error message names it: `number 12`, `string "x"`, `identifier KIND_GPU`, ….
        public var description: String {
            switch self {
            case .identifier(let word): return "identifier \(word)"
            case .number(let text): return "number \(text)"
            case .string(let text): return "string \"\(TextProto.printable(text))\""
            case .message: return "a message { … }"
            case .list: return "a list [ … ]"
            }
        }
    }

    /// A control character (C0, DEL, C1) or a line or paragraph separator: what
    /// ``printable(_:limit:)`` escapes.
    package static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// `text` fit for a one-line message: control characters escaped (`\n`, `\u{1}`), at most `limit` characters.
    package static func printable(_ text: String, limit: Int = 100) -> String {
        var result = ""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == limit { return result + "…" }
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case _ where breaksLine(scalar):
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The fields in the order written.
    public var fields: [Field]

    public init(fields: [Field]) {
        self.fields = fields
    }

    /// The fields named `name`, in the order written.
    public func fields(named name: String) -> [Field] {
        fields.filter { $0.name == name }
    }

    /// Parses protobuf text format: `# comments`, `field: value`, `field { … }`,
    /// `field: { … }`, `field [ … ]`, numbers, identifiers, and strings in `"…"` or
    /// `'…'` with C escapes; fields separated by whitespace, `,` or `;`. A syntax
    /// error throws ``LedgeError/invalidModel(_:)`` with one line:
    /// `FILE:LINE:COL: what is wrong: expected what`.
    public static func parse(_ text: String, file: String) throws -> TextProto {
        var parser = TextProtoParser(text: text, file: file)
        return try parser.parseDocument()
    }
}
