/// A string as a JSON string literal, escaped as Foundation's encoders do (`\b`, `\f`, `\n`,
/// `\r`, `\t`, other control characters as `\u00XX`, `/` not escaped): shared by the
/// writers that build JSON text by hand (reports, Triton's model config).
public enum JSONQuoting {
    /// Appends `text`, quoted and escaped, to `out`.
    public static func append(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}"..."\u{f}": out += "\\u000" + String(scalar.value, radix: 16)
            case "\u{10}"..."\u{1f}": out += "\\u00" + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
