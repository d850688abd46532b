/// How the HTTP and gRPC servers end a TLS connection.
public enum TLSClosing {
    /// How long a closing connection waits for the peer's close_notify after sending its own, before
    /// it closes the socket. swift-nio-ssl waits 5 s, and clients that never answer one (Python's
    /// `ssl`, idle pooled connections) held each closed connection, and a SIGTERM, that much longer
    /// than over plaintext. RFC 8446 §6.1 does not ask the closing side to wait at all.
    public static let closeNotifyWait = Duration.milliseconds(250)
}
