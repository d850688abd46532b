#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Hummingbird
internal import LedgeCompression
internal import LedgeCore

/// The coding a `Content-Encoding` or `Accept-Encoding` token names, when we
/// read and write it: `gzip` (or `x-gzip`), or `deflate` (zlib-wrapped, RFC 9110).
private func codingFormat(_ coding: Substring) -> Inflater.Format? {
    switch coding.trimmedSpace.lowercased() {
    case "gzip", "x-gzip": .gzip
    case "deflate": .zlib
    default: nil
    }
}

/// A request body's `Content-Encoding`: what Triton's clients send with
/// `request_compression_algorithm="gzip"` or `"deflate"`, or none.
///
/// The inflated body is held to `--max-body-size` like a plain one: a few
/// hundred compressed bytes can inflate to gigabytes.
struct RequestContentCoding: Sendable {
    private let format: Inflater.Format?

    /// The coding a `Content-Encoding` value names; 415 for one we cannot read.
    init(_ value: String?) throws {
        let name = Substring(value ?? "").trimmedSpace
        if name.isEmpty || name.lowercased() == "identity" {
            format = nil
        } else if let format = codingFormat(name) {
            self.format = format
        } else {
            throw ServerError(.unsupportedMediaType, "Content-Encoding '\(name)' is not supported: expected gzip, deflate or identity")
        }
    }

    /// `body` decoded, at most `limit` bytes: 413 past it, 400 for corrupt data.
    func decode(_ body: ByteBuffer, limit: Int) throws -> Data {
        guard let format else { return Data(body.readableBytesView) }
        do {
            return Data(
                try body.withUnsafeReadableBytes {
                    try Inflater.whole(
                        $0, format: format, limit: limit, label: "request body (Content-Encoding: \(format.name))",
                        tooLargeHint: "--max-body-size")
                })
        } catch let error as LedgeError where error.code == .tooLarge {
            throw ServerError(.contentTooLarge, error.message)
        } catch let error as LedgeError {
            throw ServerError.badRequest(error.message)
        }
    }
}

/// The coding an inference response is sent in: what the request's
/// `Accept-Encoding` prefers of `gzip` and `deflate` (tritonclient's
/// `response_compression_algorithm`; the higher `q` wins, the first listed on
/// a tie), else none. Level 1: on a device the CPU is scarcer than the link.
struct ResponseContentCoding: Sendable {
    private let format: Inflater.Format

    /// `gzip` or `deflate`, as the `Content-Encoding` value.
    var name: String { format.name }

    /// The coding `Accept-Encoding: value` prefers, or `nil` (none acceptable, or only `identity`).
    init?(accepting value: String?) {
        guard let value else { return nil }
        var best: (format: Inflater.Format, q: Double)?
        for item in value.split(separator: ",") {
            let parts = item.split(separator: ";")
            var q = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmedSpace.lowercased() == "q" { q = Double(pair[1].trimmedSpace) ?? 0 }
            }
            guard let format = parts.first.flatMap({ codingFormat($0) }), q > 0, q > (best?.q ?? 0) else { continue }
            best = (format, q)
        }
        guard let best else { return nil }
        format = best.format
    }

    /// `body` compressed.
    func encode(_ body: Data) throws -> Data {
        Data(try body.withUnsafeBytes { try Deflater.compress($0, format: format, level: 1) })
    }

    /// `body`'s readable bytes compressed.
    func encode(_ body: ByteBuffer) throws -> ByteBuffer {
        ByteBuffer(bytes: try body.withUnsafeReadableBytes { try Deflater.compress($0, format: format, level: 1) })
    }
}
