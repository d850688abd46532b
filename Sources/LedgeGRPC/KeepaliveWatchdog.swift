internal import CLedgeSocket
#if canImport(Glibc)
internal import Glibc
#endif
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
/// one passes and no deadline runs, it closes the connection unless the peer sends anything within
/// the timeout: any bytes, as a client's answer can wait behind the upload it is sending. A client
/// reading a large answer over a slow link reads the ping only after the bytes queued before it,
/// which can take longer than the timeout; so when the timeout passes while bytes still wait for the
/// peer and it has acknowledged more of them meanwhile (TCP_INFO), it is alive and the timeout starts
/// again. A peer that froze with an answer unread stops acknowledging once its receive buffer is
/// full, and is closed within two timeouts. Not covered: a peer that has acknowledged everything but
/// reads what its receive buffer holds (up to ~6 MB with Linux's defaults) slower than the timeout
/// allows. (How long a draining connection may stay open is ``ConnectionDrainHandler``'s.)
final class KeepaliveWatchdog: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// The bytes the peer had acknowledged when the deadline was set.
    private var acknowledged: UInt64 = 0

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        cancel()  // bytes arrived, on any stream
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .ping(_, ack: false) = unwrapOutboundIn(data).payload, deadline == nil, context.channel.isActive {
            Self.sendProgress(of: context) { progress in
                self.acknowledged = progress?.bytes_acked ?? 0
                self.schedule(context: context)
            }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    private func schedule(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (watchdog, context) = bound.value
            watchdog.deadline = nil
            Self.sendProgress(of: context) { progress in
                guard let progress, progress.waiting != 0, progress.bytes_acked > watchdog.acknowledged else {
                    return context.close(promise: nil)
                }
                watchdog.acknowledged = progress.bytes_acked  // reading, slowly: the ping is still on its way
                watchdog.schedule(context: context)
            }
        }
    }

    /// Calls `body` at once with the connection's TCP send progress; `nil` when the socket does not
    /// tell (not TCP, or closed).
    private static func sendProgress(
        of context: ChannelHandlerContext, _ body: @escaping (ledge_tcp_send_progress?) -> Void
    ) {
        guard let socket = context.channel as? any SocketOptionProvider else { return body(nil) }
        let info: EventLoopFuture<ledge_tcp_info_buffer> = socket.unsafeGetSocketOption(
            level: SocketOptionLevel(IPPROTO_TCP), name: SocketOptionName(TCP_INFO))
        info.assumeIsolated().whenComplete { result in
            body(try? result.map { buffer in withUnsafePointer(to: buffer) { ledge_tcp_send_progress_of($0) } }.get())
        }
    }

    private func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
