public import LedgeCore
internal import NIOCore
package import NIOHTTP1
internal import NIOExtras
internal import NIOPosix
internal import NIOSSL

/// A response read whole.
public struct HTTPResponse: Sendable {
    /// The status code, as 200.
    public var status: Int
    var headers: HTTPHeaders
    /// The body.
    public var body: [UInt8]

    /// The first value of the header `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A small HTTP/1.1 client on SwiftNIO: one connection per request, TLS with
/// the system's trust roots (or a PEM file of them), a time limit per request. Enough for the OCI
/// distribution API and model downloads (``download(_:to:from:limits:)``),
/// without Foundation's networking (and its libcurl).
public struct HTTPClient: Sendable {
    /// Seconds a request may take, connection included.
    public var timeLimit: Int64 = 120
    /// A PEM file of the certificates `https` servers are verified against, instead of the
    /// system's or `SSL_CERT_FILE`'s (a fleet's own CA, or a device's self-signed certificate).
    public var trustRoots: String?
    /// The client certificate presented to `https` servers that ask for one (mutual TLS).
    public var identity: ClientIdentity?
    /// Bytes of an answer's body read at most; a longer one fails the request (`nil`: no bound).
    public var maxResponseBytes: Int?

    /// A client whose requests may take `timeLimit` seconds each, verifying `https` servers against
    /// `trustRoots` (a PEM file), else the system's roots, and presenting `identity` when asked.
    public init(timeLimit: Int64 = 120, trustRoots: String? = nil, identity: ClientIdentity? = nil) {
        self.timeLimit = timeLimit
        self.trustRoots = trustRoots
        self.identity = identity
    }

    /// `method` (`GET`, `POST`) to `url` (`http://host:port/path`), the whole answer in memory.
    public func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> HTTPResponse {
        guard let target = RequestURL(url) else { throw LedgeError.usage("URL '\(url)': expected http(s)://HOST[:PORT]/PATH") }
        return try await send(HTTPMethod(rawValue: method), target, headers: headers, body: body)
    }

    /// `method` to `url`, the whole answer in memory.
    package func send(_ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws
        -> HTTPResponse
    {
        do {
            return try await attempt(method, url, headers: headers, body: body)
        } catch {
            throw error.error(method, url)
        }
    }

    /// Why a request got no answer, in words that do not repeat the request: for callers that
    /// name it themselves (the trace exporter's warning).
    package struct Failure: Error, Sendable {
        /// `.timedOut` or `.remoteFailure`.
        package var code: LedgeError.Code
        /// "connection refused", "no answer within 5 s", a TLS refusal (``certificateRefusals``).
        package var reason: String
        /// The connection closed before the answer ended.
        var ended = false
        /// No other try will change it: a certificate that does not fit (``certificateRefusals``)
        /// or an unusable `SSL_CERT_FILE`.
        package var lasting = false

        package init(code: LedgeError.Code, reason: String) {
            self.code = code
            self.reason = reason
        }

        init(code: LedgeError.Code, reason: String, ended: Bool) {
            self.init(code: code, reason: reason)
            self.ended = ended
        }

        /// The one-line error of `method` to `url` failing this way: `GET https://… failed: connection refused`.
        package func error(_ method: HTTPMethod, _ url: RequestURL) -> LedgeError {
            LedgeError(code, "\(method) \(url.text)\(code == .timedOut || ended ? ":" : " failed:") \(reason)")
        }
    }

    /// A POST of `body` to `url` (``attempt(_:_:headers:body:)``).
    package func post(_ url: RequestURL, headers: [(String, String)], body: [UInt8]) async throws(Failure) -> HTTPResponse {
        try await attempt(.POST, url, headers: headers, body: body)
    }

    /// `method` to `url`, the whole answer in memory.
    package func attempt(_ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)] = [], body: [UInt8]? = nil)
        async throws(Failure) -> HTTPResponse
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
                    throw Failure(code: .timedOut, reason: "no answer within \(timeLimit) s")
                }
                return response
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            var failure = Failure(code: .remoteFailure, reason: Self.describe(error))
            failure.lasting = Self.isLasting(error, reason: failure.reason)
            throw failure
        }
    }

    private func exchange(_ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)], body: [UInt8]?) async throws
        -> HTTPResponse
    {
        let channel = try await Self.connect(url, connectTimeout: .seconds(10), idleTimeout: nil, trustRoots: trustRoots, identity: identity)
        return try await channel.executeThenClose { inbound, outbound in
            var head = Self.requestHead(method, url, headers: headers)
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
                        if let limit = maxResponseBytes, response.body.count + buffer.readableBytes > limit {
                            throw Failure(code: .remoteFailure, reason: "the answer is longer than \(limit) bytes")
                        }
                        response.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    case .end:
                        return response
                    }
                }
            } catch let failure as Failure {
                throw failure
            } catch {
                if response.status != 0 { return response }  // the head and what came of the body
                // A write to a channel that closed says less than why it closed (a TLS 1.3 server's
                // alert for a missing client certificate arrives after the client's handshake ended).
                if let writeError, (writeError as? ChannelError) != .ioOnClosedChannel { throw writeError }
                throw error
            }
            if response.status != 0 { return response }
            if let writeError { throw writeError }
            throw Failure(code: .remoteFailure, reason: "the connection closed before the answer ended", ended: true)
        }
    }

    /// A request head with Host, User-Agent, `Connection: close` and `headers`; through a proxy,
    /// an http request names its whole URL (absolute form) and carries the proxy's credentials.
    static func requestHead(_ method: HTTPMethod, _ url: RequestURL, headers: [(String, String)]) -> HTTPRequestHead {
        let proxy = url.secure ? nil : try? ProxySettings.process.get().proxy(for: url)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: proxy == nil ? url.target : url.text)
        head.headers.add(name: "Host", value: url.hostHeader)
        if let authorization = proxy?.authorization { head.headers.add(name: "Proxy-Authorization", value: authorization) }
        head.headers.add(name: "User-Agent", value: "ledge/\(LedgeVersion.current)")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        return head
    }

    /// A connection to `url`'s host (TLS for https) with HTTP/1.1 handlers, through the proxy the
    /// environment names for it (``ProxySettings``: a `CONNECT` tunnel for https); with
    /// `idleTimeout`, reading fails with ``ReadTimeout`` once nothing arrived for that long.
    /// `trustRoots`: a PEM file to verify the server against instead of the system's roots (or `SSL_CERT_FILE`'s).
    static func connect(
        _ url: RequestURL, connectTimeout: TimeAmount, idleTimeout: TimeAmount?, trustRoots: String? = nil, identity: ClientIdentity? = nil
    ) async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        let trustRoots = url.secure ? try roots(trustRoots) : nil
        let proxy = try ProxySettings.process.get().proxy(for: url)
        @Sendable func configure(_ channel: any Channel) throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
            if url.secure {
                var configuration = TLSConfiguration.makeClientConfiguration()
                switch trustRoots {
                case .file(let path)?: configuration.trustRoots = .file(path)
                case .certificates(let certificates)?:
                    configuration.trustRoots = .certificates(try certificates.map { try NIOSSLCertificate(bytes: $0, format: .der) })
                case nil: break
                }
                if let identity {
                    configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(identity.certificateFile).map { .certificate($0) }
                    configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: identity.keyFile, format: .pem))
                }
                let context = try NIOSSLContext(configuration: configuration)
                let serverName = url.host.first?.isNumber == true || url.host.contains(":") ? nil : url.host
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
            }
            if let idleTimeout { try channel.pipeline.syncOperations.addHandler(ReadTimeoutHandler(timeout: idleTimeout)) }
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
        }
        do {
            // The bootstrap connects once the initializer's future completes: the tunnel is awaited after.
            let connected = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(connectTimeout)
                .connect(host: proxy?.host ?? url.host, port: proxy?.port ?? url.port) { channel -> EventLoopFuture<Connected> in
                    guard let proxy, url.secure else { return channel.eventLoop.makeCompletedFuture { .ready(try configure(channel)) } }
                    // https through the proxy: CONNECT, then TLS with the server inside the tunnel.
                    let tunnel = channel.eventLoop.makePromise(of: Void.self)
                    var headers = HTTPHeaders()
                    if let authorization = proxy.authorization { headers.add(name: "Proxy-Authorization", value: authorization) }
                    return channel.eventLoop.makeCompletedFuture {
                        let operations = channel.pipeline.syncOperations
                        try operations.addHandler(HTTPRequestEncoder(), name: "proxy-encoder")
                        try operations.addHandler(
                            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)), name: "proxy-decoder")
                        try operations.addHandler(
                            NIOHTTP1ProxyConnectHandler(
                                targetHost: url.host, targetPort: url.port, headers: headers, deadline: .now() + connectTimeout, promise: tunnel),
                            name: "proxy-connect")
                        return .tunnel(channel, tunnel.futureResult)
                    }
                }
            switch connected {
            case .ready(let channel):
                return channel
            case .tunnel(let channel, let established):
                do {
                    try await established.get()
                } catch {
                    channel.close(promise: nil)
                    throw ProxyFailure(proxy: proxy!, reason: Self.describeTunnel(error))
                }
                // The CONNECT handler may have left already; the codec goes before TLS comes.
                return try await channel.eventLoop.flatSubmit {
                    channel.pipeline.removeHandler(name: "proxy-connect").recover { _ in }.flatMap {
                        channel.pipeline.removeHandler(name: "proxy-decoder").recover { _ in }
                    }.flatMap {
                        channel.pipeline.removeHandler(name: "proxy-encoder").recover { _ in }
                    }.flatMapThrowing {
                        try configure(channel)
                    }
                }.get()
            }
        } catch let error as ProxyFailure {
            throw error
        } catch  where proxy != nil && (error is IOError || error is ChannelError) {
            // Reaching the proxy failed: say so, not as if the server had.
            throw ProxyFailure(proxy: proxy!, reason: describe(error))
        }
    }

    /// A connection made: ready for requests, or a tunnel the proxy is still opening.
    private enum Connected: Sendable {
        case ready(NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>)
        case tunnel(any Channel, EventLoopFuture<Void>)
    }

    /// True for a failure no retry will change: a certificate that does not fit (`reason`, from
    /// ``describe(_:)``), an unusable `SSL_CERT_FILE`, a proxy that wants credentials.
    static func isLasting(_ error: any Error, reason: String) -> Bool {
        certificateRefusals.contains(reason) || error is UnusableTrustRoots || (error as? ProxyFailure)?.lasting == true
    }

    /// A proxy that could not be reached or would not open the tunnel.
    struct ProxyFailure: Error, CustomStringConvertible {
        var proxy: ProxySettings.Proxy
        var reason: String
        var description: String { "proxy \(proxy.description): \(reason)" }
        /// The proxy wants credentials it was not given: no retry changes that.
        var lasting: Bool { reason.hasPrefix("407") }
    }

    /// Why a `CONNECT` failed, in words.
    static func describeTunnel(_ error: any Error) -> String {
        typealias Failure = NIOHTTP1ProxyConnectHandler.Error
        guard let failure = error as? Failure else { return describe(error) }
        // The handler's errors compare by kind only (not by where they were made).
        if failure == .proxyAuthenticationRequired() {
            return "407 Proxy Authentication Required: expected the user and password in the proxy variable (http://USER:PASSWORD@HOST:PORT)"
        }
        if failure == .httpProxyHandshakeTimeout() { return "no answer to CONNECT in time" }
        if failure == .remoteConnectionClosed() || failure == .channelUnexpectedlyInactive() { return "closed the connection during CONNECT" }
        return "refused the CONNECT tunnel"
    }

    /// ``describe(_:)``'s reasons for a TLS handshake that no retry will change: a certificate
    /// that does not fit, the server's or this client's.
    public static let certificateRefusals: Set<String> = [misnamed, untrusted, identityMissing, identityRefused]
    static let misnamed = "the server's certificate does not name this host or address"
    static let untrusted = "the server's certificate does not verify against the trust roots"
    static let identityMissing = "the server asks for a client certificate (mutual TLS) and none was given"
    static let identityRefused = "the server does not accept this client certificate (signed by a CA it does not trust)"

    /// A one-line description of a connection or protocol error (also the trace exporter's over gRPC).
    package static func describe(_ error: any Error) -> String {
        if let error = error as? ProxyFailure { return error.description }
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED ? "connection refused" : error.description }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connection timed out" }
        if error is ReadTimeout { return "no data within the time limit" }
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname { return misnamed }
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") { return untrusted }
        if text.contains("CERTIFICATE_REQUIRED") { return identityMissing }
        if text.contains("UNKNOWN_CA") { return identityRefused }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }
}
