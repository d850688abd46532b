internal import NIOCore

/// Nothing arrived on a connection within its idle time limit.
struct ReadTimeout: Error {}

/// Fails the connection with ``ReadTimeout`` when a read asked of the socket brings nothing
/// for `timeout`. Unlike NIO's `IdleStateHandler`, it does not count the time when nobody
/// asked for data: a slow consumer (backpressure) is not a silent server.
final class ReadTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    private let timeout: TimeAmount
    /// When a read was asked for that has brought nothing yet.
    private var waitingSince: NIODeadline?
    private var check: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func read(context: ChannelHandlerContext) {
        let since = waitingSince ?? .now()
        waitingSince = since
        schedule(context, at: since + timeout)
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        waitingSince = nil
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancel() }

    private func cancel() {
        check?.cancel()
        check = nil
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        guard check == nil else { return }
        check = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.check = nil
            guard let since = self.waitingSince else { return }
            if NIODeadline.now() >= since + self.timeout {
                context.fireErrorCaught(ReadTimeout())
                context.close(promise: nil)
            } else {
                self.schedule(context, at: since + self.timeout)
            }
        }
    }
}
