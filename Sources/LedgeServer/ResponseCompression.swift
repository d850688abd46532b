internal import HTTPTypes
internal import Hummingbird
internal import NIOCore

/// Compresses responses of at least ``minimumLength`` bytes when the request's `Accept-Encoding`
/// asks for gzip or deflate (``ResponseContentCoding``): `/metrics` (Prometheus asks for gzip on
/// every scrape), Seldon predictions, the repository index, the web
/// page. A response that already has a `Content-Encoding` (V2 infer compresses its own, whatever
/// its size) or no known length passes as it is. Smaller bodies pass too: kubelet's probes and
/// Go clients send `Accept-Encoding: gzip` by default, and a short body gains nothing.
enum ResponseCompression {
    /// The smallest body compressed (nginx's `gzip_min_length` is 20; a JSON error or a top-5
    /// classification stays plain).
    static let minimumLength = 1024

    /// `response`, compressed if `request` asks for it and it qualifies, with `Vary: Accept-Encoding`
    /// on every response that would qualify.
    static func apply(to response: Response, for request: Request) async throws -> Response {
        guard let length = response.body.contentLength, length >= minimumLength, response.headers[.contentEncoding] == nil
        else { return response }
        var response = response
        if let vary = response.headers[.vary] {
            if !vary.lowercased().contains("accept-encoding") { response.headers[.vary] = vary + ", Accept-Encoding" }
        } else {
            response.headers[.vary] = "Accept-Encoding"
        }
        guard let coding = ResponseContentCoding(accepting: request.headers[.acceptEncoding]) else { return response }
        let collector = BodyCollector(capacity: length)
        try await response.body.write(collector)
        let compressed = try coding.encode(collector.buffer)
        response.headers[.contentEncoding] = coding.name
        response.headers[.contentLength] = String(compressed.readableBytes)
        response.body = ResponseBody(byteBuffer: compressed)
        return response
    }
}

/// Collects a response body that ``ResponseCompression`` compresses (its length is
/// known and bounded by the route that made it).
private final class BodyCollector: ResponseBodyWriter {
    var buffer: ByteBuffer

    init(capacity: Int) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
