internal import LedgeCore

/// A JSON value written as Foundation's `JSONSerialization` writes it with
/// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`: two-space indents,
/// `"key" : value`, keys in order, `2.0` as `2`, `/` not escaped.
enum PrettyJSON {
    case null
    case bool(Bool)
    case int(Int)
    /// Finite values only (see ``JSONReport/number(_:)``).
    case double(Double)
    case string(String)
    case array([PrettyJSON])
    case object([String: PrettyJSON])

    /// The text, without a final newline.
    var text: String {
        var out = ""
        write(to: &out, indent: 0)
        return out
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            let text = d.description
            out += text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        case .string(let s): JSONQuoting.append(s, to: &out)
        case .array(let items):
            out += "[\n"
            for (i, item) in items.enumerated() {
                if i > 0 { out += ",\n" }
                out += String(repeating: " ", count: indent + 2)
                item.write(to: &out, indent: indent + 2)
            }
            out += "\n" + String(repeating: " ", count: indent) + "]"
        case .object(let members):
            out += "{\n"
            for (i, key) in members.keys.sorted().enumerated() {
                out += (i > 0 ? ",\n" : "") + String(repeating: " ", count: indent + 2)
                JSONQuoting.append(key, to: &out)
                out += " : "
                members[key]!.write(to: &out, indent: indent + 2)
            }
            out += "\n" + String(repeating: " ", count: indent) + "}"
        }
    }
}
