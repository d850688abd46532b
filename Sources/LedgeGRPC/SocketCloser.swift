internal import NIOCore

/// Closes a gRPC connection's socket at once, from the front of its pipeline.
///
/// A close asked for after the TLS handler passes through it, and it first sends close_notify and
/// waits up to 5 s (swift-nio-ssl's default, which grpc-swift does not let us set) for the peer's.
/// A peer closed for not answering — dead, frozen, or past the drain's deadline — never sends one,
/// so its connection, and the calls open on it, stayed 5 s longer over TLS than over plaintext.
/// This handler sits before the TLS handler (first in the pipeline); ``close(_:)`` sends it an
/// outbound event that passes the TLS handler untouched, and it closes the socket itself.
final class SocketCloser: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any

    /// The event that asks for the close.
    private struct Close: Sendable {}

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is Close else { return context.triggerUserOutboundEvent(event, promise: promise) }
        context.close(promise: promise)
    }

    /// Closes the channel of `context` without the TLS handler's wait; a channel without a
    /// ``SocketCloser`` is closed the usual way.
    static func close(_ context: ChannelHandlerContext) {
        let closed = context.eventLoop.makePromise(of: Void.self)
        closed.futureResult.assumeIsolated().whenFailure { error in
            if case ChannelError.operationUnsupported = error { context.close(promise: nil) }
        }
        context.triggerUserOutboundEvent(Close(), promise: closed)
    }
}
