#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Hummingbird
internal import LedgeCompression
internal import LedgeCore

/// A request body's `Content-Encoding`: what Triton's clients send with
/// `request_compression_algorithm="gzip"` or `"deflate"` (HTTP's `deflate` is
/// zlib-wrapped, RFC 9110), or none.
///
/// The inflated body is held to `--max-body-size` like a plain one: a few
/// hundred compressed bytes can inflate to gigabytes.
struct RequestContentCoding: Sendable {
    private let format: Inflater.Format?

    /// The coding a `Content-Encoding` value names; 415 for one we cannot read.
    init(_ value: String?) throws {
        let name = value.map { Self.trimmed($0).lowercased() } ?? ""
        switch name {
        case "", "identity": format = nil
        case "gzip", "x-gzip": format = .gzip
        case "deflate": format = .zlib
        default:
            throw ServerError(
                .unsupportedMediaType,
                "Content-Encoding '\(Self.trimmed(value ?? ""))' is not supported: expected gzip, deflate or identity")
        }
    }

    /// `body` decoded, at most `limit` bytes: 413 past it, 400 for corrupt data.
    func decode(_ body: ByteBuffer, limit: Int) throws -> Data {
        guard let format else { return Data(body.readableBytesView) }
        let name = format == .gzip ? "gzip" : "deflate"
        do {
            let bytes = try body.readableBytesView.withContiguousStorageIfAvailable { buffer in
                try Inflater.whole(
                    UnsafeRawBufferPointer(buffer), format: format, limit: limit, label: "request body (Content-Encoding: \(name))",
                    tooLargeHint: "--max-body-size")
            }
            return Data(bytes ?? [])
        } catch let error as LedgeError where error.code == .tooLarge {
            throw ServerError(.contentTooLarge, error.message)
        } catch let error as LedgeError {
            throw ServerError.badRequest(error.message)
        }
    }

    static func trimmed(_ value: String) -> Substring {
        var text = Substring(value)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}

/// The coding an inference response is sent in: what the request's
/// `Accept-Encoding` prefers of `gzip` and `deflate` (tritonclient's
/// `response_compression_algorithm`), else none. Level 1: on a device the
/// CPU is scarcer than the link.
struct ResponseContentCoding: Sendable {
    /// `gzip` or `deflate`, as the `Content-Encoding` value.
    let name: String
    private let format: Inflater.Format

    /// The coding `Accept-Encoding: value` prefers, or `nil` (none acceptable, or only `identity`).
    init?(accepting value: String?) {
        guard let value else { return nil }
        var best: (name: String, format: Inflater.Format, q: Double)?
        for item in value.split(separator: ",") {
            let parts = item.split(separator: ";")
            let coding = parts.first.map { String(RequestContentCoding.trimmed(String($0))).lowercased() } ?? ""
            var q = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, RequestContentCoding.trimmed(String(pair[0])).lowercased() == "q" {
                    q = Double(RequestContentCoding.trimmed(String(pair[1]))) ?? 0
                }
            }
            let format: Inflater.Format? =
                switch coding {
                case "gzip", "x-gzip": .gzip
                case "deflate": .zlib
                default: nil
                }
            guard let format, q > 0, q > (best?.q ?? 0) else { continue }
            best = (format == .gzip ? "gzip" : "deflate", format, q)
        }
        guard let best else { return nil }
        (name, format) = (best.name, best.format)
    }

    /// `body` compressed.
    func encode(_ body: Data) throws -> Data {
        Data(try Deflater.compress(Array(body), format: format, level: 1))
    }
}
