internal import NIOCore
internal import NIOHTTP2
internal import NIOSSL

/// Ends a gRPC connection with one GOAWAY naming the last call it took: as soon as the server drains
/// when no call is open, and when the connection reaches its age (`--grpc-max-connection-age`).
///
/// grpc-swift drains a connection with a GOAWAY that promises every stream and a PING, and closes it
/// once the client acknowledges the PING (RFC 9113 §6.8's two-step GOAWAY). Two things go wrong:
/// - clients built on gRPC's C core do not read an idle connection at once (Python's `grpcio` and
///   `tritonclient` acknowledged 2 to 4.5 s later), so every SIGTERM took that long, and a peer
///   that never reads held the server until the exit timeout;
/// - swift-nio-http2 refuses every stream the client opens after the first GOAWAY, promised or not,
///   then ends the connection with PROTOCOL_ERROR when the refused stream's data arrives. An idle
///   `tritonclient` whose connection reached its age lost its next call that way (UNAVAILABLE).
///
/// This handler sits after the HTTP/2 handler and counts the calls (HTTP/2 streams) open on its
/// connection, told by ``track(stream:)``. It sends a single GOAWAY naming the last stream it saw:
/// a stream the client opened meanwhile is one the server never took, which gRPC clients retry on a
/// new connection (its DATA is kept from swift-nio-http2 by ``CrossingDataFilter``). When the drain begins and no call is open, it closes the connection at once (with
/// a call open, the drain is grpc-swift's). At the connection's age (±10 %, gRFC A9's jitter, so
/// that connections opened together do not all reconnect together) it sends the GOAWAY, lets the
/// calls open finish however long they take (gRPC's C core's default grace), and closes the
/// connection when the last one ends. A GOAWAY grpc-swift writes later never names a later stream
/// than this one did: RFC 9113 forbids raising it. And a connection still open when the drain's time
/// (the exit timeout and the status grace) is up is closed.
final class ConnectionDrainHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private var open = 0
    private var lastStream = HTTP2StreamID.rootStream
    /// The last stream named by the GOAWAY this handler sent.
    private var sentLastStream: HTTP2StreamID?
    private let maxAge: TimeAmount?
    private var ageTimer: Scheduled<Void>?
    /// How long a draining connection may stay open: the exit timeout and the status grace.
    private let drainTimeout: TimeAmount
    private var drainDeadline: Scheduled<Void>?
    /// Closes an aged connection whose client did not (``leave(context:)``).
    private var leaveDeadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Told the last stream when the first GOAWAY leaves, by this handler or by grpc-swift.
    private let crossing: CrossingDataFilter

    init(maxAge: Duration?, drainTimeout: Duration, crossing: CrossingDataFilter) {
        self.maxAge = maxAge.map { TimeAmount($0 * Double.random(in: 0.9...1.1)) }
        self.drainTimeout = TimeAmount(drainTimeout)
        self.crossing = crossing
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startAge(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        startAge(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        ageTimer?.cancel()
        guard open == 0 else {
            // The drain is grpc-swift's, whose grace starts only when the peer answers its drain PING: a frozen
            // peer, or one that sends but never answers, with a call open would keep the process until the exit
            // watchdog ended it. The connection is closed at the exit timeout and the status grace whatever happens.
            if drainDeadline == nil {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                drainDeadline = context.eventLoop.scheduleTask(in: drainTimeout) { SocketCloser.close(bound.value) }
            }
            return context.fireUserInboundEventTriggered(event)
        }
        goAway(context: context)
        closeAfterWrites(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .goAway(let last, _, _) = unwrapOutboundIn(data).payload {
            if let sent = sentLastStream, last > sent {
                promise?.succeed()  // grpc-swift's drain after this handler's GOAWAY: never a later stream
                return
            }
            noteFirstGoAway()
        }
        context.write(data, promise: promise)
    }

    /// From the first GOAWAY on, calls above the last one taken are kept from swift-nio-http2.
    private func noteFirstGoAway() {
        if crossing.ignoreAbove == nil { crossing.ignoreAbove = lastStream }
    }

    private func cancelTimers() {
        ageTimer?.cancel()
        drainDeadline?.cancel()
        drainDeadline = nil
        leaveDeadline?.cancel()
        leaveDeadline = nil
    }

    private func startAge(context: ChannelHandlerContext) {
        guard let maxAge, ageTimer == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        ageTimer = context.eventLoop.scheduleTask(in: maxAge) { bound.value.ageReached() }
    }

    private func ageReached() {
        guard let context, sentLastStream == nil else { return }
        goAway(context: context)
        if open == 0 { leave(context: context) }
    }

    private func streamClosed() {
        open -= 1
        if open == 0, sentLastStream != nil, let context { leave(context: context) }
    }

    private func goAway(context: ChannelHandlerContext) {
        guard sentLastStream == nil else { return }
        sentLastStream = lastStream
        noteFirstGoAway()
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStream, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
    }

    /// Ends an aged connection once its calls are done: only its output at first (the GOAWAY and the
    /// answers still queued, then FIN), so that calls the client sent before it read the GOAWAY are
    /// still read and discarded rather than answered with a reset, which failed them (`Broken pipe`)
    /// instead of letting gRPC clients retry them. The client closes its side once it has read the
    /// FIN; a client that does not is closed after ``leaveTimeout``.
    private func leave(context: ChannelHandlerContext) {
        context.close(mode: .output, promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        leaveDeadline = context.eventLoop.scheduleTask(in: Self.leaveTimeout) { SocketCloser.close(bound.value) }
    }

    /// How long an aged connection waits for its client to close (an idle grpcio channel reads every 5 s).
    static let leaveTimeout = TimeAmount.seconds(10)

    /// Closes the output first: the close waits for the GOAWAY (and any response still queued) to be written.
    private func closeAfterWrites(context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: written)
        // The GOAWAY and, over TLS, close_notify are out: nothing is left to wait for (``SocketCloser``).
        written.futureResult.assumeIsolated().whenComplete { _ in SocketCloser.close(context) }
    }

    /// Adds the handler to an accepted gRPC connection's pipeline, right after its HTTP/2 handler, with
    /// its ``CrossingDataFilter`` right before that and, after it, a ``KeepaliveWatchdog`` of `pingTimeout`;
    /// a ``SocketCloser`` first and, over TLS, a ``TLSCloseWait`` right after the TLS handler.
    static func add(to channel: any Channel, maxAge: Duration?, drainTimeout: Duration, pingTimeout: Duration) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            let http2 = try pipeline.handler(type: NIOHTTP2Handler.self)
            try pipeline.addHandler(SocketCloser(), position: .first)
            if let tls = try? pipeline.handler(type: NIOSSLServerHandler.self) {
                try pipeline.addHandler(TLSCloseWait(), position: .after(tls))
            }
            let crossing = CrossingDataFilter()
            try pipeline.addHandler(crossing, position: .before(http2))
            try pipeline.addHandler(
                ConnectionDrainHandler(maxAge: maxAge, drainTimeout: drainTimeout, crossing: crossing), position: .after(http2))
            try pipeline.addHandler(KeepaliveWatchdog(timeout: TimeAmount(pingTimeout)), position: .after(http2))
        }
    }

    /// Counts a call's stream (a child of a connection with the handler) as open until it closes;
    /// on the stream's event loop, which is its connection's.
    static func track(stream: any Channel) {
        guard let connection = stream.parent,
            let handler = try? connection.pipeline.syncOperations.handler(type: ConnectionDrainHandler.self)
        else { return }
        handler.open += 1
        if let id = try? stream.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID) {
            handler.lastStream = max(handler.lastStream, id)
        }
        stream.closeFuture.assumeIsolated().whenComplete { _ in handler.streamClosed() }
    }
}
