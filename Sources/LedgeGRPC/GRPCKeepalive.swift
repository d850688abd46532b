internal import GRPCNIOTransportHTTP2Posix

/// HTTP/2 keep-alive on the gRPC server's connections (gRFC A8 and A9), as Triton's flags set it.
///
/// The server pings a connection it has read nothing from for ``time`` and closes it when nothing
/// arrives within ``timeout`` (``KeepaliveWatchdog``): a camera that lost power or network leaves no
/// call open for ever.
/// A client that pings more often than ``minReceivedPingInterval`` (or at all without a call, unless
/// ``permitWithoutCalls``) gets a strike; past two strikes it is sent GOAWAY `ENHANCE_YOUR_CALM`
/// and the connection closes, as gRPC's C core servers do. The defaults are gRPC's and Triton's.
public struct GRPCKeepalive: Sendable, Hashable {
    /// How long after the last read the server sends a keep-alive ping (`--grpc-keepalive-time`).
    public var time: Duration
    /// How long the client has to answer that ping before the connection is closed (`--grpc-keepalive-timeout`).
    public var timeout: Duration
    /// Whether clients may ping when no call is open (`--grpc-keepalive-permit-without-calls`).
    public var permitWithoutCalls: Bool
    /// The shortest interval between a client's pings that is not a strike
    /// (`--grpc-http2-min-recv-ping-interval-without-data`).
    public var minReceivedPingInterval: Duration

    public init(
        time: Duration = .seconds(2 * 60 * 60), timeout: Duration = .seconds(20), permitWithoutCalls: Bool = false,
        minReceivedPingInterval: Duration = .seconds(5 * 60)
    ) {
        self.time = time
        self.timeout = timeout
        self.permitWithoutCalls = permitWithoutCalls
        self.minReceivedPingInterval = minReceivedPingInterval
    }

    /// grpc-swift's settings: its pings and its policing of the client's. Not its timeout, which
    /// ``KeepaliveWatchdog`` keeps: grpc-swift met an unanswered ping with a graceful shutdown whose
    /// GOAWAY refuses the client's next calls, even when the client was busy sending and its answer
    /// was on the way (only frames of the connection itself counted).
    var transportKeepalive: HTTP2ServerTransport.Config.Keepalive {
        .init(
            time: time, timeout: .seconds(Int64(Int32.max)),
            clientBehavior: .init(minPingIntervalWithoutCalls: minReceivedPingInterval, allowWithoutCalls: permitWithoutCalls))
    }
}
