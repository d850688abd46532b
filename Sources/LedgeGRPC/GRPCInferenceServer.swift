#if canImport(Glibc)
internal import Glibc
#endif
package import GRPCCore
internal import Synchronization
internal import GRPCNIOTransportHTTP2Posix
internal import LedgeCore
public import LedgeServing
public import Logging
public import NIOCore
public import NIOSSL
public import NIOCertificateReloading
public import ServiceLifecycle

/// Where and how the gRPC server listens.
public struct GRPCConfiguration: Sendable {
    /// The address to bind: an IP address or a host name that resolves to one.
    public var host: String
    /// The TCP port; 0 picks a free one.
    public var port: Int
    /// The largest inference request message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED
    /// (over twice this, the transport resets the stream: see ``SizeLimitedService``).
    public var maxReceiveMessageSize: Int
    /// The server version reported by ServerMetadata.
    public var version: String
    /// With a policy, calls need `authorization: Bearer TOKEN` metadata (UNAUTHENTICATED otherwise) except where it opens them.
    public var access: AccessPolicy?
    /// With TLS settings, the server speaks TLS only.
    public var tls: GRPCTLS?
    /// Bind with `SO_REUSEPORT`, new connections going to the newest server (`ledge serve --reuse-port`).
    public var reusePort: Bool
    /// A connection with no call for this long is closed (`--idle-timeout`, as over HTTP); `nil`: never.
    public var idleTimeout: Duration?
    /// Listen only once ``GRPCInferenceServer/allowListening()`` is called (when the HTTP server listens).
    public var waitsForHTTP = false
    /// The level the server's log handlers read (LogSettings); `nil`: the RPC is UNIMPLEMENTED.
    public var logSettings: LogSettings?
    /// Answer gRPC server reflection (``ReflectionService``); off, its calls are UNIMPLEMENTED.
    public var reflection = true
    /// After graceful shutdown begins, calls and streams still open this long are closed (Triton's
    /// `--exit-timeout-secs`): a client's open stream cannot hold the server up.
    public var exitTimeout: Duration = .seconds(30)
    /// The server's keep-alive pings and how often a client may ping (Triton's `--grpc-keepalive-*` flags).
    public var keepalive = GRPCKeepalive()
    /// A connection this old is sent GOAWAY and closed once its calls finish (gRFC A9's
    /// `MAX_CONNECTION_AGE`), so that clients reconnect and spread over replicas; `nil`: never.
    public var maxConnectionAge: Duration?
    /// Which algorithm, if any, infer responses are compressed with (Triton's `--grpc-infer-response-compression-level`).
    public var responseCompression = GRPCResponseCompression.none
    /// The connections open at once, shared with the HTTP server (`--max-connections`); past it a new
    /// connection waits in the listen backlog. `nil`: no limit of its own.
    public var connectionBudget: ConnectionBudget?

    public init(
        host: String = "127.0.0.1", port: Int = 8001, maxReceiveMessageSize: Int = 64 << 20, version: String = "0.1.0",
        access: AccessPolicy? = nil, tls: GRPCTLS? = nil, reusePort: Bool = false,
        idleTimeout: Duration? = .seconds(60), waitsForHTTP: Bool = false, logSettings: LogSettings? = nil, reflection: Bool = true,
        exitTimeout: Duration = .seconds(30)
    ) {
        self.exitTimeout = exitTimeout
        self.reflection = reflection
        self.logSettings = logSettings
        self.waitsForHTTP = waitsForHTTP
        self.idleTimeout = idleTimeout
        self.reusePort = reusePort
        self.host = host
        self.port = port
        self.maxReceiveMessageSize = maxReceiveMessageSize
        self.version = version
        self.access = access
        self.tls = tls
    }
}

/// The gRPC server's TLS: the same reloadable certificate and key as the HTTP server's, and the
/// roots a client certificate must verify against for mutual TLS.
public struct GRPCTLS: Sendable {
    /// NIOSSL's custom verification of a client's certificate chain.
    public typealias ClientVerification =
        @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void

    /// Gives each handshake the certificate chain and key served now.
    public var credentials: any CertificateReloader
    /// With PEM CA certificates, clients must present a certificate (`--tls-client-ca`), which
    /// `verifyClient` checks (against the roots held at each handshake, so they can be reloaded).
    public var clientCAPEM: [UInt8]?
    public var verifyClient: ClientVerification?

    public init(credentials: any CertificateReloader, clientCAPEM: [UInt8]? = nil, verifyClient: ClientVerification? = nil) {
        self.credentials = credentials
        self.clientCAPEM = clientCAPEM
        self.verifyClient = verifyClient
    }

    func transportSecurity() throws -> HTTP2ServerTransport.Posix.TransportSecurity {
        let roots = clientCAPEM
        let verify = verifyClient
        return try .tls(certificateReloader: credentials) { config in
            if let roots {
                // The chain is verified, not a host name: a client certificate names a client.
                config.clientCertificateVerification = .noHostnameVerification
                config.trustRoots = .certificates([.bytes(roots, format: .pem)])
                if let verify { config.customVerificationCallback = verify }
            }
        }
    }
}

/// The V2 inference protocol over gRPC (grpc-swift 2, its NIO HTTP/2 transport) as a
/// service of the server's `ServiceGroup`: graceful shutdown stops taking new calls and
/// lets the calls and streams in flight finish.
public final class GRPCInferenceServer: Service, Sendable {
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let logger: Logger
    /// Set when the server waits for the HTTP server (``GRPCConfiguration/waitsForHTTP``).
    private let gate: ListenGate?
    /// `HOST:PORT` as configured, for errors.
    private let address: String
    /// Shut down by ``beginGracefulShutdown()``, before the service group's turn.
    private let early = Atomic<Bool>(false)
    /// Passed by ``exitTimeoutPassed(reason:)``.
    private let deadline: ExitDeadline
    /// How long after the exit timeout a connection stays open, for its calls' UNAVAILABLE statuses.
    static let statusGrace = Duration.milliseconds(500)

    /// The HTTP/2 flow-control window of each connection and stream, in bytes.
    static let windowSize = 4 << 20
    /// The largest HTTP/2 frame a client may send (the default 16 KB cuts a frame into ten frames).
    static let maxFrameSize = 1 << 20
    /// Calls open at once on one connection; more wait for the client's HTTP/2 stream limit.
    static let maxConcurrentStreams = 100

    /// A server over the models of `repository`; it listens once ``run()`` starts.
    /// Throws an ``LedgeError/Code/usage`` error when `host` does not resolve.
    public init(configuration: GRPCConfiguration, repository: ModelRepository, logger: Logger) throws {
        let resolved = try Self.resolve(host: configuration.host, port: configuration.port)
        let security: HTTP2ServerTransport.Posix.TransportSecurity =
            if let tls = configuration.tls {
                try tls.transportSecurity()
            } else {
                .plaintext
            }
        let limit = configuration.maxReceiveMessageSize
        let config = HTTP2ServerTransport.Posix.Config.defaults { config in
            config.rpc.maxRequestPayloadSize = SizeLimitedService.transportCap(for: limit)
            // A camera frame (150 KB to a few MB) in one window instead of a window update per 64 KB.
            config.http2.targetWindowSize = Self.windowSize
            config.http2.maxFrameSize = Self.maxFrameSize
            // Each stream may buffer a message: bounded per connection, as HTTP bounds connections.
            config.http2.maxConcurrentStreams = Self.maxConcurrentStreams
            config.connection.maxIdleTime = configuration.idleTimeout
            config.connection.keepalive = configuration.keepalive.transportKeepalive
            // Not grpc-swift's maxAge: its two-step GOAWAY loses an idle client's next call (ConnectionDrainHandler).
            // Once draining, a connection's calls and streams have this long to finish (then they end
            // UNAVAILABLE: ``exitTimeoutPassed(reason:)``), and half a second to send that; then it is closed.
            config.connection.maxGraceTime = configuration.exitTimeout + Self.statusGrace
            // What tritonclient sends with compression_algorithm="gzip" or "deflate". The limits hold for the
            // inflated message: past `limit` SizeLimitedService refuses it; grpc-swift stops inflating at the
            // transport cap (twice the limit) and resets the stream.
            config.compression.enabledAlgorithms = [.gzip, .deflate]
            // A connection with no call open closes as soon as the drain begins, one still open at the exit timeout
            // and the status grace then, and a connection at its age after its calls (ConnectionDrainHandler); a peer
            // that sends nothing within the keep-alive timeout of a ping is closed (KeepaliveWatchdog).
            let (maxAge, pingTimeout) = (configuration.maxConnectionAge, configuration.keepalive.timeout)
            let drainTimeout = configuration.exitTimeout + Self.statusGrace
            if let budget = configuration.connectionBudget {
                config.channelDebuggingCallbacks.onBindTCPListener = { channel in
                    channel.eventLoop.makeCompletedFuture { try ListenerGuards.install(on: channel, budget: budget, logger: logger) }
                }
            }
            config.channelDebuggingCallbacks.onAcceptTCPConnection = {
                ConnectionDrainHandler.add(to: $0, maxAge: maxAge, drainTimeout: drainTimeout, pingTimeout: pingTimeout)
            }
            // Each call's stream: counted by its connection's ConnectionDrainHandler; ended by an empty DATA frame
            // when its headers end it (HeadersOnlyCallHandler); its answers compressed at the level asked
            // (ResponseCompressionHandler). One future per call.
            let compression = configuration.responseCompression
            config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
                stream.eventLoop.makeCompletedFuture {
                    ConnectionDrainHandler.track(stream: stream)
                    let pipeline = stream.pipeline.syncOperations
                    try pipeline.addHandler(HeadersOnlyCallHandler(), position: .first)
                    if compression != .none { try pipeline.addHandler(ResponseCompressionHandler(level: compression), position: .first) }
                }
            }
        }
        let transport =
            configuration.reusePort
            ? HTTP2ServerTransport.Posix(
                listeningSocketDescriptor: Int(try SharedPortSocket.listen(on: resolved)), transportSecurity: security, config: config)
            : HTTP2ServerTransport.Posix(address: Self.address(resolved), transportSecurity: security, config: config)
        let calls = CallObservation(access: configuration.access, metrics: repository.metrics, logger: logger)
        let deadline = ExitDeadline()
        let service = InferenceService(
            repository: repository, version: configuration.version, calls: calls, logSettings: configuration.logSettings, deadline: deadline)
        self.deadline = deadline
        self.server = GRPCServer(
            transport: transport,
            services: [SizeLimitedService(base: service, limit: limit), HealthService(repository: repository, calls: calls)]
                + (configuration.reflection ? [ReflectionService(calls: calls)] : []))
        self.logger = logger
        self.gate = configuration.waitsForHTTP ? ListenGate() : nil
        self.address =
            configuration.host.contains(":") ? "[\(configuration.host)]:\(configuration.port)" : "\(configuration.host):\(configuration.port)"
    }

    /// A server with its own transport (grpc-swift's in-process one, in tests).
    package static func serve<Transport: ServerTransport>(
        on transport: Transport, repository: ModelRepository, version: String = "0.1.0", access: AccessPolicy? = nil,
        maxReceiveMessageSize: Int = 64 << 20, logSettings: LogSettings? = nil, logger: Logger
    ) -> GRPCServer<Transport> {
        let calls = CallObservation(access: access, metrics: repository.metrics, logger: logger)
        let service = InferenceService(repository: repository, version: version, calls: calls, logSettings: logSettings)
        return GRPCServer(
            transport: transport,
            services: [
                SizeLimitedService(base: service, limit: maxReceiveMessageSize), HealthService(repository: repository, calls: calls),
                ReflectionService(calls: calls),
            ])
    }

    /// The exit timeout passed: every ModelStreamInfer stream still open ends UNAVAILABLE with `reason`
    /// (the words HTTP's 503 carries; a unary call still open fails with them as the repository
    /// interrupts its model run), and the connections close half a second later.
    public func exitTimeoutPassed(reason: String) { deadline.pass(reason: reason) }

    /// Lets a server that waits for the HTTP server (``GRPCConfiguration/waitsForHTTP``) listen.
    public func allowListening() { gate?.open() }

    /// Starts graceful shutdown now (what the service group's does later, in its turn): no new
    /// calls; those in flight and open streams get ``GRPCConfiguration/exitTimeout``.
    public func beginGracefulShutdown() {
        early.store(true, ordering: .relaxed)
        gate?.close()
        server.beginGracefulShutdown()
    }

    /// Serves until graceful shutdown (then until the calls in flight finish) or a transport failure.
    /// A server that waits for the HTTP server and is shut down first returns without listening.
    public func run() async throws {
        let (server, address) = (self.server, self.address)
        if let gate {
            let opened = await withGracefulShutdownHandler {
                await gate.wait()
            } onGracefulShutdown: {
                gate.close()
            }
            guard opened else { return await awaitTurn() }
        }
        try await withGracefulShutdownHandler {
            do {
                try await server.serve()
            } catch {
                throw LedgeError(.runtimeFailure, "gRPC server: \(Self.describe(error, address: address))")
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
        await awaitTurn()
    }

    /// After ``beginGracefulShutdown()``: returns once the service group shuts this service down too
    /// (a service of the group that ends before its turn would count as one that failed).
    private func awaitTurn() async {
        if early.load(ordering: .relaxed) { try? await gracefulShutdown() }
    }

    /// The port the server listens on, once it does (throws if it could not listen).
    public var port: Int {
        get async throws {
            let address = try await server.transport.listeningAddress
            if let ipv4 = address.ipv4 { return ipv4.port }
            if let ipv6 = address.ipv6 { return ipv6.port }
            throw LedgeError(.runtimeFailure, "gRPC server listens on \(address), not a TCP port")
        }
    }

    private static func resolve(host: String, port: Int) throws -> NIOCore.SocketAddress {
        do {
            return try NIOCore.SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw LedgeError.usage("--host \(host): cannot resolve it to an address to listen on for gRPC")
        }
    }

    private static func address(_ resolved: NIOCore.SocketAddress) -> GRPCNIOTransportCore.SocketAddress {
        let host = resolved.ipAddress ?? "127.0.0.1"
        let port = resolved.port ?? 0
        return resolved.protocol == .inet6 ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
    }

    /// An error from the transport in one line: a failed bind names the address and the system's reason.
    private static func describe(_ error: any Error, address: String) -> String {
        var cause: (any Error)? = error
        while cause is RPCError || cause is RuntimeError {
            cause = (cause as? RPCError)?.cause ?? (cause as? RuntimeError)?.cause
        }
        if let io = cause as? IOError {
            return "cannot listen on \(address) (\(String(cString: strerror(io.errnoCode))))"
        }
        return String("\(error)".map { $0.isNewline ? " " : $0 })
    }
}
