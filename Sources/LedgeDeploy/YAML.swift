/// A YAML document as a tree, written in block style with keys in the order given:
/// enough for Kubernetes manifests, without a YAML library (and its Foundation).
public indirect enum YAML: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([YAML])
    case map([(String, YAML)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: YAML...) { self = .list(elements) }

    public static func == (lhs: YAML, rhs: YAML) -> Bool { lhs.text() == rhs.text() }
    public func hash(into hasher: inout Hasher) { hasher.combine(text()) }

    /// The document as text, ending with a newline.
    public func text() -> String {
        var out = ""
        write(to: &out, indent: 0, inList: false)
        return out
    }

    private func write(to out: inout String, indent: Int, inList: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .map(let pairs) where pairs.isEmpty:
            out += "{}\n"
        case .list(let items) where items.isEmpty:
            out += "[]\n"
        case .map(let pairs):
            for (index, (key, value)) in pairs.enumerated() {
                // The first key of a list item follows the "- " on the same line.
                out += (inList && index == 0 ? "" : pad) + Self.scalar(key) + ":"
                value.writeValue(to: &out, indent: indent)
            }
        case .list(let items):
            for item in items {
                out += pad + "- "
                switch item {
                case .map(let pairs) where !pairs.isEmpty:
                    item.write(to: &out, indent: indent + 2, inList: true)
                case .list(let inner) where !inner.isEmpty:
                    out += "\n"
                    item.write(to: &out, indent: indent + 2, inList: false)
                default:
                    out += item.inline() + "\n"
                }
            }
        default:
            out += inline() + "\n"
        }
    }

    /// What follows `key:`.
    private func writeValue(to out: inout String, indent: Int) {
        switch self {
        case .map(let pairs) where !pairs.isEmpty:
            out += "\n"
            write(to: &out, indent: indent + 2, inList: false)
        case .list(let items) where !items.isEmpty:
            out += "\n"
            write(to: &out, indent: indent, inList: false)
        default:
            out += " " + inline() + "\n"
        }
    }

    private func inline() -> String {
        switch self {
        case .string(let text): return Self.scalar(text)
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .map: return "{}"
        case .list: return "[]"
        }
    }

    /// A plain scalar when YAML reads it back as the same string, else double-quoted.
    static func scalar(_ text: String) -> String {
        let plainSafe = text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./@:".unicodeScalars.contains($0))
        }
        let reserved = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"]
        let looksNumeric = Double(text) != nil || text.first.map { "0123456789.-+".contains($0) } == true
        if !text.isEmpty && plainSafe && !reserved.contains(text.lowercased()) && !looksNumeric && !text.contains(": ")
            && !text.hasSuffix(":") && !text.hasPrefix("@")
        {
            return text
        }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
