internal import LedgeServing
internal import NIOCore
internal import NIOTLS

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

/// Bounds how long a TLS connection's close waits for the peer's close_notify
/// (`TLSClosing.closeNotifyWait`), and closes a connection still in its handshake at once.
///
/// grpc-swift builds the TLS handler itself and does not let us set its wait (5 s). This handler sits
/// right after it: a close passing it still sends close_notify, and ``SocketCloser`` closes the socket
/// when the wait is over if the peer has not answered by then.
///
/// A close of the output (the drain's, after its GOAWAY) waits in the TLS handler until the handshake
/// completes, which a client that stalled in it never does: such a connection held a SIGTERM until the
/// exit timeout. Before the handshake completes nothing was exchanged, so that close closes the socket.
final class TLSCloseWait: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    typealias OutboundIn = Any

    private var armed = false
    private var handshakeCompleted = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { handshakeCompleted = true }
        context.fireUserInboundEventTriggered(event)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .output, !handshakeCompleted {
            SocketCloser.close(context)
            promise?.succeed()
            return
        }
        if mode == .all, !armed {
            armed = true
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let deadline = context.eventLoop.scheduleTask(in: TimeAmount(TLSClosing.closeNotifyWait)) { SocketCloser.close(bound.value) }
            context.channel.closeFuture.whenComplete { _ in deadline.cancel() }
        }
        context.close(mode: mode, promise: promise)
    }
}
