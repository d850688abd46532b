internal import LedgeCore
internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import NIOSSL

/// A response read whole.
package struct HTTPResponse: Sendable {
    package var status: Int
    var headers: HTTPHeaders
    package var body: [UInt8]

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A URL split the way a request needs it.
struct RequestURL: Sendable, Hashable {
    var secure: Bool
    var host: String
    var port: Int
    /// Path and query, starting with `/`.
    var target: String

    /// Parses `http(s)://host[:port]/path?query`.
    init?(_ text: String) {
        let secure: Bool
        let rest: Substring
        if text.hasPrefix("https://") {
            secure = true
            rest = text.dropFirst(8)
        } else if text.hasPrefix("http://") {
            secure = false
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let target = String(rest.dropFirst(authority.count))
        guard let (host, port) = Self.split(authority: authority, defaultPort: secure ? 443 : 80) else { return nil }
        self.init(secure: secure, host: host, port: port, target: target.isEmpty ? "/" : target)
    }

    init(secure: Bool, host: String, port: Int, target: String) {
        self.secure = secure
        self.host = host
        self.port = port
        self.target = target
    }

    /// `host:port` → (host, port); IPv6 literals in brackets.
    static func split(authority: Substring, defaultPort: Int) -> (String, Int)? {
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
    var hostHeader: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return port == (secure ? 443 : 80) ? host : "\(host):\(port)"
    }

    /// The URL as text.
    var text: String { (secure ? "https://" : "http://") + hostHeader + target }

    /// `reference` (absolute, or a path from the registry's root) resolved against this URL.
    func resolving(_ reference: String) -> RequestURL? {
        if reference.hasPrefix("http://") || reference.hasPrefix("https://") { return RequestURL(reference) }
        guard reference.hasPrefix("/") else { return nil }
        return RequestURL(secure: secure, host: host, port: port, target: reference)
    }
}

/// A small HTTP/1.1 client on SwiftNIO: one connection per request, TLS with
/// the system's trust roots, a time limit per request. Enough for the OCI
/// distribution API, without Foundation's networking (and its libcurl).
package struct HTTPClient: Sendable {
    /// Seconds a request may take, connection included.
    package var timeLimit: Int64 = 120

    package init(timeLimit: Int64 = 120) { self.timeLimit = timeLimit }

    /// `method` (`GET`, `POST`) to `url` (`http://host:port/path`), for other modules of the package.
    package func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> HTTPResponse {
        guard let target = RequestURL(url) else { throw LedgeError.usage("URL '\(url)': expected http(s)://HOST[:PORT]/PATH") }
        return try await send(HTTPMethod(rawValue: method), target, headers: headers, body: body)
    }

    func send(_ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws
        -> HTTPResponse
    {
        do {
            return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
                group.addTask { try await exchange(method, url, headers: headers, body: body) }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeLimit))
                    return nil
                }
                defer { group.cancelAll() }
                guard let response = try await group.next() ?? nil else {
                    throw LedgeError(.timedOut, "\(method) \(url.text): no answer within \(timeLimit) s")
                }
                return response
            }
        } catch let error as LedgeError {
            throw error
        } catch {
            throw LedgeError(.remoteFailure, "\(method) \(url.text) failed: \(Self.describe(error))")
        }
    }

    private func exchange(_ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)], body: [UInt8]?) async throws
        -> HTTPResponse
    {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if url.secure {
                        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                        let serverName = url.host.first?.isNumber == true || url.host.contains(":") ? nil : url.host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: url.target)
            head.headers.add(name: "Host", value: url.hostHeader)
            head.headers.add(name: "User-Agent", value: "ledge/\(LedgeVersion.current)")
            head.headers.add(name: "Connection", value: "close")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            if let body { head.headers.add(name: "Content-Length", value: String(body.count)) }
            // A server may answer and close before the body is sent (a refusal, a failure half-way):
            // then the answer, not the failed write, is what to report.
            var writeError: (any Error)?
            do {
                try await outbound.write(.head(head))
                if let body, !body.isEmpty {
                    var offset = 0
                    while offset < body.count {  // 1 MiB writes
                        let end = min(body.count, offset + (1 << 20))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body[offset..<end]))))
                        offset = end
                    }
                }
                try await outbound.write(.end(nil))
            } catch {
                writeError = error
            }
            var response = HTTPResponse(status: 0, headers: [:], body: [])
            do {
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead):
                        response.status = Int(responseHead.status.code)
                        response.headers = responseHead.headers
                    case .body(var buffer):
                        response.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    case .end:
                        return response
                    }
                }
            } catch {
                if response.status != 0 { return response }  // the head and what came of the body
                throw writeError ?? error
            }
            if response.status != 0 { return response }
            if let writeError { throw writeError }
            throw LedgeError(.remoteFailure, "\(method) \(url.text): the connection closed before the answer ended")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return error.description }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connection timed out" }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }
}
