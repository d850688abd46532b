internal import NIOCore
internal import NIOHTTP2

/// Ends the input of a call whose client ended its stream with its headers, sending no message.
///
/// grpc-swift (grpc-swift-nio-transport 2.9) ends a call's input when a DATA frame carries
/// END_STREAM, but not when the HEADERS frame does: the handler of such a call waited for a
/// message for ever, holding one of the connection's stream slots, and a SIGTERM waited for it
/// until the exit timeout. HTTP/2 means the same by both, so this handler, first in each call's
/// stream, passes such HEADERS on without END_STREAM and follows them with an empty DATA frame that
/// carries it: the call then fails at once, as one whose message is missing. It leaves the stream
/// after its first frame.
final class HeadersOnlyCallHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .headers(var headers) = unwrapInboundIn(data), headers.endStream {
            headers.endStream = false
            context.fireChannelRead(wrapInboundOut(.headers(headers)))
            let end = HTTP2Frame.FramePayload.Data(data: .byteBuffer(ByteBuffer()), endStream: true)
            context.fireChannelRead(wrapInboundOut(.data(end)))
        } else {
            context.fireChannelRead(data)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
