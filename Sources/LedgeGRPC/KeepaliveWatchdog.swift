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
/// This handler sits after the HTTP/2 handler, where grpc-swift's PINGs pass on their way out. When
/// one leaves and no deadline runs, it closes the connection unless any frame arrives within the
/// timeout: any frame, as grpc-swift counts any read as a sign of life. Its own graceful-shutdown
/// PINGs (at a drain or at the connection's age) get the same deadline.
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

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .ping(_, ack: false) = unwrapOutboundIn(data).payload, deadline == nil {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    /// Adds a watchdog with `timeout` to an accepted gRPC connection's pipeline, right after its HTTP/2 handler.
    static func add(to channel: any Channel, timeout: Duration) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(
                KeepaliveWatchdog(timeout: TimeAmount(timeout)), position: .after(try pipeline.handler(type: NIOHTTP2Handler.self)))
        }
    }
}
