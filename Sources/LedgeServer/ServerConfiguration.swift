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
    /// Called once the server listens, with the port it got.
    public var onServerRunning: @Sendable (_ port: Int) async -> Void

    public init(host: String = "127.0.0.1", port: Int = 8000, maxBodySize: Int = 64 << 20, version: String = "0.1.0",
                onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.maxBodySize = maxBodySize
        self.version = version
        self.onServerRunning = onServerRunning
    }
}
