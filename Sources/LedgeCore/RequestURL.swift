/// An http(s) URL split the way a request needs it.
public struct RequestURL: Sendable, Hashable {
    /// True for `https`.
    public var secure: Bool
    /// The host name or address (IPv6 without brackets).
    public var host: String
    /// The port, the scheme's default when the URL names none.
    public var port: Int
    /// Path and query, starting with `/`.
    public var target: String

    /// Parses `http(s)://host[:port]/path?query`; a `#fragment` is dropped.
    public init?(_ text: String) {
        let secure: Bool
        let rest: Substring
        if text.hasPrefix("https://") {
            secure = true
            rest = text.dropFirst(8).prefix { $0 != "#" }
        } else if text.hasPrefix("http://") {
            secure = false
            rest = text.dropFirst(7).prefix { $0 != "#" }
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let target = String(rest.dropFirst(authority.count))
        guard !authority.contains("@"), let (host, port) = Self.split(authority: authority, defaultPort: secure ? 443 : 80) else {
            return nil
        }
        self.init(secure: secure, host: host, port: port, target: target.isEmpty ? "/" : target)
    }

    /// A URL from its parts.
    public init(secure: Bool, host: String, port: Int, target: String) {
        self.secure = secure
        self.host = host
        self.port = port
        self.target = target
    }

    /// `host:port` → (host, port); IPv6 literals in brackets.
    public static func split(authority: Substring, defaultPort: Int) -> (String, Int)? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty else { return nil }
        if parts.count == 1 { return (String(host), defaultPort) }
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    /// `host` or `host:port` as a Host header writes it.
    public var hostHeader: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return port == (secure ? 443 : 80) ? host : "\(host):\(port)"
    }

    /// The URL as text.
    public var text: String { (secure ? "https://" : "http://") + hostHeader + target }

    /// `reference` (absolute, a path from the root, or a path relative to this URL's folder)
    /// resolved against this URL, as a `Location` header needs.
    public func resolving(_ reference: String) -> RequestURL? {
        if reference.hasPrefix("http://") || reference.hasPrefix("https://") { return RequestURL(reference) }
        if reference.hasPrefix("//") { return RequestURL((secure ? "https:" : "http:") + reference) }
        if reference.hasPrefix("/") { return RequestURL(secure: secure, host: host, port: port, target: reference) }
        guard !reference.isEmpty else { return nil }
        let path = target.prefix { $0 != "?" }
        let folder = path[...(path.lastIndex(of: "/") ?? path.startIndex)]
        return RequestURL(secure: secure, host: host, port: port, target: String(folder) + reference)
    }
}
