#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import Hummingbird
internal import LedgeCore

/// What every route reads from a request the same way: the body within
/// `--max-body-size`, the media type, and the model named by the path.
extension Request {
    /// The body, at most `limit` bytes, else 413 (checked against `Content-Length` first);
    /// inflated when `Content-Encoding` is `gzip` or `deflate` (also at most `limit` bytes).
    func collectBody(limit: Int) async throws -> Data {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw ServerError.bodyTooLarge(limit: limit)
        }
        let coding = try RequestContentCoding(headers[.contentEncoding])
        var request = self
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServerError.bodyTooLarge(limit: limit)
        }
        return try coding.decode(body, limit: limit)
    }

    /// The media type without parameters, lowercased; `nil` when absent.
    var mediaType: String? { Self.mediaType(headers[.contentType]) }

    /// The media type of a `Content-Type` value without parameters, lowercased; `nil` when absent.
    static func mediaType(_ value: String?) -> String? {
        guard let value else { return nil }
        return value.prefix { $0 != ";" }.trimmedSpace.lowercased()
    }
}

extension Substring {
    /// Without leading and trailing whitespace. Plain Substring work: header
    /// values are read on every request, Foundation's trimming costs more than the rest.
    var trimmedSpace: Substring {
        var text = self
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}

extension RequestContext {
    /// The path parameter `key`, percent-decoded (as given when that fails); `nil` when absent.
    func decodedParameter(_ key: String) -> String? {
        guard let raw = parameters.get(key) else { return nil }
        return raw.utf8.contains(UInt8(ascii: "%")) ? raw.percentDecoded ?? raw : raw
    }
}
