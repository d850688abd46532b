public import LedgeCore

/// A model's URI: `https://…`, `http://…` or `file:///absolute/path`, with an optional
/// `#sha256=<64 hex digits>` pin of the content.
public struct ModelURI: Sendable, Hashable, CustomStringConvertible {
    /// Where the content is.
    public enum Location: Sendable, Hashable {
        /// An http(s) URL (without the fragment).
        case remote(String)
        /// A local path.
        case file(String)
    }

    /// Where the content is.
    public var location: Location
    /// The pinned sha256 (64 lowercase hex digits), if any.
    public var pin: String?
    /// The URI without its fragment, as messages name it.
    public var description: String
    /// The last path component (percent-decoded), `model` when the URI names none: the cached file's name.
    public var fileName: String

    /// Parses `text`; a one-line error names it and what was expected.
    public init(parsing text: String) throws {
        let hash = text.firstIndex(of: "#")
        let base = String(text[..<(hash ?? text.endIndex)])
        if let hash {
            let fragment = text[text.index(after: hash)...]
            let hex = fragment.dropFirst(7).lowercased()
            guard fragment.hasPrefix("sha256="), hex.utf8.count == 64, hex.utf8.allSatisfy({ Self.isHexDigit($0) }) else {
                throw LedgeError.usage("model URI '\(text)': expected the fragment #sha256=<64 hex digits>, got '#\(fragment)'")
            }
            pin = hex
        }
        description = base
        let path: Substring
        if base.hasPrefix("http://") || base.hasPrefix("https://") {
            guard let url = RequestURL(base) else {
                throw LedgeError.usage("model URI '\(text)': expected http(s)://HOST[:PORT]/PATH")
            }
            location = .remote(base)
            path = url.target.prefix { $0 != "?" }
        } else if base.hasPrefix("file://") {
            path = base.dropFirst(7)
            guard path.hasPrefix("/"), let decoded = path.percentDecoded else {
                throw LedgeError.usage("model URI '\(text)': expected file:///ABSOLUTE/PATH")
            }
            location = .file(decoded)
        } else {
            throw LedgeError.usage(
                "model URI '\(text)': expected https://, http:// or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>")
        }
        let last = path.split(separator: "/").last.flatMap { $0.percentDecoded } ?? ""
        fileName = last.isEmpty || last == "." || last == ".." || last.contains("/") || last.contains("\0") ? "model" : last
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }
}
