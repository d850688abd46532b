internal import NIOCore
internal import NIOHTTP2

/// Keeps a call that crosses a GOAWAY from ending the whole connection.
///
/// Once the server has sent a GOAWAY, swift-nio-http2 ignores (or refuses) the HEADERS of a call
/// the client opened meanwhile, but treats that call's DATA, or the client's RST_STREAM or
/// WINDOW_UPDATE for it, as a frame for a stream that never existed: a connection error
/// (PROTOCOL_ERROR), which ends every call still open on the connection. A client making calls while its connection reached its age, or while the server
/// drained, lost them all that way. (swift-nio-http2 1.46 checks "quiescing" for HEADERS only.)
///
/// This handler sits before the HTTP/2 handler and follows the frame boundaries of what the client
/// sends. Once ``ignoreAbove`` is set (the last call taken when the first GOAWAY left), it relabels
/// those frames of later client streams as a frame type HTTP/2 does not define, which RFC 9113
/// §4.1 has receivers discard. The client learns from the GOAWAY (or the refusal) that those calls
/// were never taken, and gRPC clients retry them on a new connection. Headers are never touched:
/// their compression state must see every header block.
final class CrossingDataFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The frame type the frames of crossing calls are given: unassigned in IANA's HTTP/2 registry.
    static let discardedType: UInt8 = 0xF7
    /// The frames a client sends on a call's stream besides its headers, one bit per type: DATA (0),
    /// PRIORITY (2), RST_STREAM (3: a client cancelling the call it learns was not taken), WINDOW_UPDATE (8).
    static let streamFrames: UInt32 = 1 << 0 | 1 << 2 | 1 << 3 | 1 << 8

    /// Client streams above this one are not served any more; `nil` until a GOAWAY is sent.
    var ignoreAbove: HTTP2StreamID?
    /// Bytes of the client's connection preface still to pass.
    private var prefaceLeft = 24
    /// Payload bytes of the current frame still to pass.
    private var payloadLeft = 0
    /// The start of a frame header cut by the end of a read.
    private var partialHeader: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var partial = partialHeader {
            partial.writeBuffer(&buffer)
            buffer = partial
            partialHeader = nil
        }
        var index = buffer.readerIndex
        let end = buffer.writerIndex
        let skipped = min(prefaceLeft, end - index)
        index += skipped
        prefaceLeft -= skipped
        while index < end {
            if payloadLeft > 0 {
                let passed = min(payloadLeft, end - index)
                index += passed
                payloadLeft -= passed
                continue
            }
            guard end - index >= 9, let lengthAndType = buffer.getInteger(at: index, as: UInt32.self),
                let stream = buffer.getInteger(at: index + 5, as: UInt32.self)
            else {
                partialHeader = buffer.getSlice(at: index, length: end - index)
                buffer.moveWriterIndex(to: index)
                break
            }
            let id = Int32(truncatingIfNeeded: stream & 0x7FFF_FFFF)
            let type = lengthAndType & 0xFF
            if type < 32, Self.streamFrames & (1 << type) != 0, let limit = ignoreAbove, id % 2 == 1, HTTP2StreamID(id) > limit {
                buffer.setInteger(Self.discardedType, at: index + 3)
            }
            payloadLeft = Int(lengthAndType >> 8)
            index += 9
        }
        if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
    }
}
