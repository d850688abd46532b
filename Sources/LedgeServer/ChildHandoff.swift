internal import LedgeServing
internal import NIOCore
internal import Synchronization

/// The connections the listener accepted and not yet handed to its accept loop, so that graceful
/// shutdown closes the listening socket only once there are none.
///
/// NIO's async server channel (swift-nio issue 2813) drops the connections still buffered between
/// the event loop and the accept loop when the listening channel closes; each dropped one ends the
/// process when its channel becomes active ("Deinited NIOAsyncWriter without calling finish()",
/// SIGILL). Under a steady stream of new connections, 4 of 20 SIGTERMs crashed a debug build that
/// way. So shutdown first stops accepting, waits until every accepted connection reached the loop
/// (at most ``settleLimit``), and only then closes the listener.
final class ChildHandoff: Sendable {
    /// The longest shutdown waits for accepted connections to reach the accept loop.
    static let settleLimit = TimeAmount.seconds(1)

    private let pending = Mutex<Set<ObjectIdentifier>>([])

    /// The handler that notes each accepted connection; after the listener's guards, before NIO's acceptor.
    func handler() -> some ChannelInboundHandler {
        AcceptedChildren(handoff: self)
    }

    /// The accept loop received `child`.
    func delivered(_ child: any Channel) { _ = pending.withLock { $0.remove(ObjectIdentifier(child)) } }

    fileprivate func accepted(_ child: any Channel) { _ = pending.withLock { $0.insert(ObjectIdentifier(child)) } }

    private var settled: Bool { pending.withLock { $0.isEmpty } }

    /// Stops `listener` accepting, then runs `close` once every accepted connection reached the
    /// accept loop, or after ``settleLimit``.
    func stopAccepting(_ listener: any Channel, then close: @escaping @Sendable () -> Void) {
        let loop = listener.eventLoop
        loop.execute {
            ListenerGuards.stopAccepting(listener)
            self.closeWhenSettled(on: loop, by: .now() + Self.settleLimit, close)
        }
    }

    private func closeWhenSettled(on loop: any EventLoop, by deadline: NIODeadline, _ close: @escaping @Sendable () -> Void) {
        guard !settled && NIODeadline.now() < deadline else { return close() }
        loop.scheduleTask(in: .milliseconds(1)) { self.closeWhenSettled(on: loop, by: deadline, close) }
    }
}

/// Notes each connection the listening channel accepts (``ChildHandoff``).
private final class AcceptedChildren: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let handoff: ChildHandoff

    init(handoff: ChildHandoff) { self.handoff = handoff }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handoff.accepted(Self.unwrapInboundIn(data))
        context.fireChannelRead(data)
    }
}
