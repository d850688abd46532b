public import LedgeCore
internal import LedgeFetch

/// `[REGISTRY/]REPOSITORY[:TAG]`, as `docker push` reads it.
public struct RegistryReference: Sendable, Hashable, CustomStringConvertible {
    /// `host[:port]`; Docker Hub is `registry-1.docker.io`.
    public var registry: String
    /// `ledge/efficientnet` (Docker Hub's one-part names get `library/`).
    public var repository: String
    public var tag: String

    /// Parses `text`, else a ``LedgeError/Code/usage`` error naming it.
    public init(parsing text: String) throws {
        let bad = LedgeError.usage("image reference '\(text)': expected REGISTRY/REPOSITORY[:TAG], as 127.0.0.1:5000/ledge/model:1")
        guard !text.isEmpty, !text.contains("@"), !text.contains("://") else { throw bad }
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let first = parts[0]
        if parts.count > 1 && (first.contains(".") || first.contains(":") || first == "localhost" || first.hasPrefix("[")) {
            registry = first
            parts.removeFirst()
        } else {
            registry = "registry-1.docker.io"
            if parts.count == 1 { parts.insert("library", at: 0) }
        }
        var last = parts.removeLast()
        tag = "latest"
        if let colon = last.lastIndex(of: ":") {
            tag = String(last[last.index(after: colon)...])
            last = String(last[..<colon])
        }
        parts.append(last)
        repository = parts.joined(separator: "/")
        let component = #/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*/#
        guard parts.allSatisfy({ $0.wholeMatch(of: component) != nil }),
            tag.wholeMatch(of: #/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}/#) != nil,
            RequestURL.split(authority: Substring(registry), defaultPort: 443) != nil
        else { throw bad }
    }

    public var description: String { "\(registry)/\(repository):\(tag)" }
}
