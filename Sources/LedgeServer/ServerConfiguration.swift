public import LedgeServing

/// Where and how the server listens.
public struct ServerConfiguration: Sendable {
    /// The address to bind (default loopback only).
    public var host: String
    /// The TCP port; 0 picks a free one.
    public var port: Int
    /// The largest request body accepted, in bytes; larger ones get 413.
    public var maxBodySize: Int
    /// The server version reported by `GET /v2`.
    public var version: String
    /// Deadlines and limits for slow or greedy clients.
    public var limits: ConnectionLimits
    /// Share the port with other servers started with it (`SO_REUSEPORT`, set before bind), new
    /// connections going to the newest one: a replacement can start before the old server stops.
    public var reusePort: Bool
    /// Called once the server listens (and, with ``reusePort``, steers new connections to itself), with the port it got.
    public var onServerRunning: @Sendable (_ port: Int) async -> Void
    /// Called once when graceful shutdown begins, before the listening socket closes.
    public var onShutdown: @Sendable () -> Void
    /// With a policy, requests need `Authorization: Bearer TOKEN` (401 otherwise) except where it opens them.
    public var access: AccessPolicy?
    /// With certificates, the server speaks HTTPS only.
    public var tls: ServerTLS?
    /// The level the server's log handlers read (Triton's logging extension, `/v2/logging`); `nil`:
    /// the extension answers 501.
    public var logSettings: LogSettings?
    /// The connections open at once, shared with a gRPC server of the same process; `nil`: one of
    /// its own from ``ConnectionLimits/maxConnections`` (``ConnectionBudget/forProcess(requested:)``).
    public var connectionBudget: ConnectionBudget?

    public init(
        host: String = "127.0.0.1", port: Int = 8000, maxBodySize: Int = 64 << 20, version: String = "0.1.0",
        limits: ConnectionLimits = ConnectionLimits(), reusePort: Bool = false,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in },
        onShutdown: @escaping @Sendable () -> Void = {}, access: AccessPolicy? = nil, tls: ServerTLS? = nil,
        logSettings: LogSettings? = nil
    ) {
        self.host = host
        self.port = port
        self.maxBodySize = maxBodySize
        self.version = version
        self.limits = limits
        self.reusePort = reusePort
        self.onServerRunning = onServerRunning
        self.onShutdown = onShutdown
        self.access = access
        self.tls = tls
        self.logSettings = logSettings
    }
}

/// How long a client may take and how much it may hold: what keeps slow or
/// greedy clients (slowloris, idle keep-alives, connection floods) from
/// exhausting the server. Deadlines end with a 408 JSON answer (idle
/// keep-alive connections are closed silently).
public struct ConnectionLimits: Sendable, Hashable {
    /// From the first byte of a request head to its end.
    public var headerTimeout: Duration = .seconds(20)
    /// A keep-alive connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A body gets this long plus one second per ``minimumBodyRate`` bytes
    /// received, and may not pause for longer than this.
    public var bodyTimeout: Duration = .seconds(20)
    /// The slowest acceptable body rate, in bytes per second.
    public var minimumBodyRate: Int = 16 * 1024
    /// A response the client does not read for this long ends its connection.
    public var writeTimeout: Duration = .seconds(30)
    /// Connections served at once (more wait in the listen backlog); `nil`: the descriptor limit
    /// less a reserve for models, logs and probes (``ConnectionBudget/forProcess(requested:)``).
    public var maxConnections: Int?
    /// The largest request head (request line and header fields) in bytes; larger gets 431.
    public var maxHeaderSize: Int = 32 * 1024
    /// After graceful shutdown begins, how long requests, calls and streams still open may take (then
    /// they are cancelled and their connections closed: ``ServerGroup``).
    public var exitTimeout: Duration = .seconds(30)

    public init() {}

    /// Header fields a request head may have (llhttp's count includes the request line); more gets 431.
    static let maxHeaderFieldCount = 100
}
