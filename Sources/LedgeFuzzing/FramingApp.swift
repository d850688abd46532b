internal import HTTPTypes
internal import NIOCore
internal import NIOHTTPTypes

/// What the router would be for FuzzFraming: answers requests, marked `x-fuzz-app` so its
/// statuses are told apart from the guard's.
final class FramingApp: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// 0 answers at each request's end, 1 answers 404 at the head before reading the body,
    /// 2 never answers, 3 answers at the end with a chunked body.
    enum Mode: UInt8 { case atEnd = 0, atHead, never, chunked }
    static let marker = HTTPField.Name("x-fuzz-app")!

    let mode: Mode
    private var bodyBytes = 0
    private var answered = false

    init(mode: Mode) { self.mode = mode }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head:
            bodyBytes = 0
            answered = false
            if mode == .atHead {
                answered = true
                respond(context, status: .notFound, body: #"{"error":"no such route"}"#, chunked: false)
            }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
        case .end:
            if answered || mode == .never { return }
            respond(context, status: .ok, body: #"{"body_bytes":\#(bodyBytes)}"#, chunked: mode == .chunked)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Hummingbird ends the request's body stream with the error; the connection is the guard's.
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponse.Status, body: String, chunked: Bool) {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[Self.marker] = "1"
        if !chunked { fields[.contentLength] = String(body.utf8.count) }
        context.write(Self.wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(ByteBuffer(string: body))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
