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
/// reading a large answer over a slow link reads the ping only after what was queued before it,
/// which can take longer than the timeout. So when the timeout passes, the connection's TCP state
/// (TCP_INFO) is asked whether the peer's program is still reading: its kernel acknowledged more of
/// what was written before the ping, or, once it holds it all, advertised a wider receive window (it
/// does so as its program reads). Then the timeout starts again. A peer that froze stops both, and
/// is closed within two timeouts; a dead or frozen peer with nothing else to read, within one (its
/// kernel acknowledging the ping itself is no sign of life). The close does not wait for a TLS
/// peer's close_notify (``SocketCloser``). (How long a draining connection may stay open is
/// ``ConnectionDrainHandler``'s.)
final class KeepaliveWatchdog: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// The bytes the peer had acknowledged, and the window it advertised, when the deadline was set.
    private var acknowledged: UInt64 = 0
    private var window: UInt32 = 0
    /// The bytes written to the socket up to the ping's end, once the ping has been written.
    private var pingEnd: UInt64?
    /// Bytes acknowledged this close to the ping's end are the ping's own, with its TLS record and
    /// any small frame written beside it.
    private static let pingBytes: UInt64 = 1024

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        cancel()  // bytes arrived, on any stream
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .ping(_, ack: false) = unwrapOutboundIn(data).payload, deadline == nil, context.channel.isActive else {
            return context.write(data, promise: promise)
        }
        pingEnd = nil
        Self.sendProgress(of: context) { progress in
            (self.acknowledged, self.window) = (progress?.bytes_acked ?? 0, progress?.peer_window ?? 0)
            self.schedule(context: context)
        }
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenSuccess {
            Self.sendProgress(of: context) { progress in self.pingEnd = progress?.bytes_written }
        }
        context.write(data, promise: written)
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
                guard let progress, watchdog.reading(progress) else { return SocketCloser.close(context) }
                (watchdog.acknowledged, watchdog.window) = (progress.bytes_acked, progress.peer_window)
                watchdog.schedule(context: context)
            }
        }
    }

    /// Whether the peer's program read since the deadline was set: its kernel acknowledged bytes
    /// written before the ping (not the ping's own), or advertised a wider window.
    private func reading(_ progress: ledge_tcp_send_progress) -> Bool {
        let beforePing = pingEnd.map { acknowledged + Self.pingBytes < $0 } ?? true
        return (progress.bytes_acked > acknowledged && beforePing) || progress.peer_window > window
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
