#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore

/// The HTTP proxy the environment names, as curl, pip and the AWS SDKs read it: `https_proxy` /
/// `HTTPS_PROXY` for https URLs, `http_proxy` for http ones (lower case only: a CGI program's
/// `HTTP_PROXY` can come from a request's `Proxy` header, so curl ignores it), `all_proxy` /
/// `ALL_PROXY` for both; `no_proxy` / `NO_PROXY` lists the hosts reached directly, separated by
/// commas: a name matches itself and the names below it (`example.com`, `.example.com`,
/// `*.example.com`), an address only itself, `*` everything.
///
/// A proxy is `http://[USER:PASSWORD@]HOST:PORT` (or `HOST:PORT`): https goes through it with a
/// `CONNECT` tunnel (TLS end to end), http as absolute-form requests; credentials are sent as
/// `Proxy-Authorization: Basic`. Every `https` and `http` client of ledge uses it: model URIs
/// and S3, registry pushes, trace collectors over HTTP, deploy's checks.
public struct ProxySettings: Sendable, Hashable {
    /// A proxy server.
    public struct Proxy: Sendable, Hashable {
        public var host: String
        public var port: Int
        /// `Basic …` for `Proxy-Authorization`, from the URL's user and password.
        public var authorization: String?
        /// `host:port`, as messages name it.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public var https: Proxy?
    public var http: Proxy?
    /// Lower-cased `no_proxy` entries, leading `.` and `*.` removed.
    public var direct: [String]

    /// The settings `environment` gives; a proxy variable that cannot be used fails with a line naming it.
    public static func from(environment: [String: String]) throws -> ProxySettings {
        func value(_ names: [String]) throws -> Proxy? {
            guard let name = names.first(where: { environment[$0]?.isEmpty == false }), let text = environment[name] else { return nil }
            return try proxy(text, variable: name)
        }
        let all = try value(["all_proxy", "ALL_PROXY"])
        let list = (environment["no_proxy"] ?? environment["NO_PROXY"] ?? "").split(separator: ",").map {
            var entry = $0.trimmingWhitespace().lowercased()
            if entry.hasPrefix("*.") { entry.removeFirst(2) }
            if entry.hasPrefix(".") { entry.removeFirst() }
            if entry.hasPrefix("[") && entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            return entry
        }.filter { !$0.isEmpty }
        return ProxySettings(
            https: try value(["https_proxy", "HTTPS_PROXY"]) ?? all, http: try value(["http_proxy"]) ?? all, direct: list)
    }

    /// The proxy for `url`, `nil` to connect directly.
    public func proxy(for url: RequestURL) -> Proxy? {
        guard let proxy = url.secure ? https : http else { return nil }
        let host = url.host.lowercased()
        for entry in direct {
            if entry == "*" || host == entry { return nil }
            // A name below the entry; addresses (digits or an IPv6 colon) match only whole.
            if host.hasSuffix("." + entry), !(host.last?.isNumber ?? false), !host.contains(":") { return nil }
        }
        return proxy
    }

    /// `http://[user:password@]host:port[/]` or `host:port`.
    static func proxy(_ text: String, variable: String) throws -> Proxy {
        let expected = "\(variable)='\(text)': expected http://[USER:PASSWORD@]HOST:PORT"
        var rest = Substring(text)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst(7)
        } else if rest.contains("://") {
            throw LedgeError.usage(expected + " (only http proxies are supported)")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        var authorization: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = String(rest[..<at])
            guard let decoded = credentials.percentDecoded else { throw LedgeError.usage(expected) }
            authorization = "Basic " + Data(decoded.utf8).base64EncodedString()
            rest = rest[rest.index(after: at)...]
        }
        guard !rest.contains("/"), let (host, port) = RequestURL.split(authority: rest, defaultPort: 1080) else {
            throw LedgeError.usage(expected)
        }
        return Proxy(host: host, port: port, authorization: authorization)
    }

    /// The process's settings, read once; a variable that cannot be used is refused at each request.
    static let process: Result<ProxySettings, LedgeError> = {
        do {
            return .success(try ProxySettings.from(environment: ProcessInfo.processInfo.environment))
        } catch let error as LedgeError {
            return .failure(error)
        } catch {
            return .failure(LedgeError.usage("\(error)"))
        }
    }()
}
