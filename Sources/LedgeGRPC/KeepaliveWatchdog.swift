internal import NIOCore
internal import NIOHTTP2

/// Closes a gRPC connection whose peer does not answer a ping within the keep-alive timeout.
///
/// grpc-swift pings a connection it has read nothing from for the keep-alive time, and when that
/// ping goes unanswered it does not close the connection: it starts a graceful shutdown, a GOAWAY and
/// another PING, and waits for that PING's answer too. A peer that lost power or froze never answers,
/// so its connection, and any stream it had open, stayed until TCP gave up on the unacknowledged
/// frames (about 15 minutes with Linux's defaults), or for ever if the peer's kernel still acknowledges.
///
/// This handler sits after the HTTP/2 handler, where grpc-swift's PINGs pass on their way out. Once
/// one has been written to the socket (not when it is queued behind a large answer) and no deadline
/// runs, it closes the connection unless the peer sends anything within the timeout: any bytes, as a
/// client's answer can wait behind the upload it is sending. (How long a draining connection may
/// stay open is ``ConnectionDrainHandler``'s.)
final class KeepaliveWatchdog: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        cancel()  // bytes arrived, on any stream
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .ping(_, ack: false) = unwrapOutboundIn(data).payload else {
            return context.write(data, promise: promise)
        }
        let written = promise ?? context.eventLoop.makePromise()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenSuccess {
            let (watchdog, context) = bound.value
            guard watchdog.deadline == nil, context.channel.isActive else { return }
            watchdog.deadline = context.eventLoop.scheduleTask(in: watchdog.timeout) { context.close(promise: nil) }
        }
        context.write(data, promise: written)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    private func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
