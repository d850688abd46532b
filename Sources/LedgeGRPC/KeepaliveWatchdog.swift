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
/// one leaves and no deadline runs, it closes the connection unless the peer sends anything within the
/// timeout: any bytes, as a client's answer can wait behind the upload it is sending. Once the server
/// drains, the deadline is also at most the exit timeout and half a second: a frozen peer with a
/// stream open no longer keeps grpc-swift's drain (whose grace starts with the PING's answer) waiting.
final class KeepaliveWatchdog: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let timeout: TimeAmount
    /// The longest wait for an answer once the server drains.
    private let drainTimeout: TimeAmount
    private var draining = false
    private var deadline: (task: Scheduled<Void>, at: NIODeadline)?

    init(timeout: TimeAmount, drainTimeout: TimeAmount) {
        self.timeout = timeout
        self.drainTimeout = drainTimeout
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        cancel()  // bytes arrived, on any stream
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            draining = true
            if let deadline, deadline.at > .now() + drainTimeout {
                cancel()
                arm(context: context, in: drainTimeout)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .ping(_, ack: false) = unwrapOutboundIn(data).payload, deadline == nil {
            arm(context: context, in: draining ? min(timeout, drainTimeout) : timeout)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    private func arm(context: ChannelHandlerContext, in time: TimeAmount) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = (context.eventLoop.scheduleTask(in: time) { bound.value.close(promise: nil) }, .now() + time)
    }

    private func cancel() {
        deadline?.task.cancel()
        deadline = nil
    }

    /// Adds a watchdog to an accepted gRPC connection's pipeline, right after its HTTP/2 handler.
    static func add(to channel: any Channel, timeout: Duration, drainTimeout: Duration) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(
                KeepaliveWatchdog(timeout: TimeAmount(timeout), drainTimeout: TimeAmount(drainTimeout)),
                position: .after(try pipeline.handler(type: NIOHTTP2Handler.self)))
        }
    }
}
