internal import NIOCore
internal import NIOHTTP2

/// Ends a gRPC connection with no call open as soon as the server drains.
///
/// grpc-swift drains a connection with a GOAWAY and a PING, and closes it once the client acknowledges
/// the PING (RFC 9113 §6.8's two-step GOAWAY, so that no call the client is opening is lost). Clients
/// built on gRPC's C core do not read an idle connection at once: Python's `grpcio` and `tritonclient`
/// acknowledged it 2 to 4.5 s later, which is how long every SIGTERM of a server such a client
/// was connected to took; a peer that never reads held it until the exit timeout.
///
/// This handler sits after the HTTP/2 handler and counts the calls (HTTP/2 streams) open on its
/// connection, told by ``track(stream:)``. When the drain begins and none is open, it sends a single
/// GOAWAY naming the last stream it saw and closes the connection: a call the client opened
/// meanwhile is one the server never saw, which gRPC clients retry elsewhere. With a call open, the
/// drain is grpc-swift's.
final class IdleDrainHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private var open = 0
    private var lastStream = HTTP2StreamID.rootStream

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, open == 0 else {
            return context.fireUserInboundEventTriggered(event)
        }
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStream, errorCode: .noError, opaqueData: nil))
        // Output closed first: the close waits for the GOAWAY (and any response still queued) to be written.
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
        context.close(mode: .output, promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Adds the handler to an accepted gRPC connection's pipeline, right after its HTTP/2 handler.
    static func add(to channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(IdleDrainHandler(), position: .after(try pipeline.handler(type: NIOHTTP2Handler.self)))
        }
    }

    /// Counts a call's stream (a child of a connection with the handler) as open until it closes.
    static func track(stream: any Channel) -> EventLoopFuture<Void> {
        stream.eventLoop.makeCompletedFuture {
            // The stream's loop is its connection's.
            guard let connection = stream.parent, let handler = try? connection.pipeline.syncOperations.handler(type: IdleDrainHandler.self)
            else { return }
            handler.open += 1
            if let id = try? stream.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID) {
                handler.lastStream = max(handler.lastStream, id)
            }
            stream.closeFuture.assumeIsolated().whenComplete { _ in handler.open -= 1 }
        }
    }
}
