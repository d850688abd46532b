internal import CZlib
internal import LedgeCore

/// A zlib inflate stream: gzip (one or more members), zlib-wrapped deflate
/// (HTTP's and gRPC's `deflate`) or raw deflate (zip entries).
/// The `z_stream` lives at a fixed address: zlib keeps a pointer back to it.
public final class Inflater {
    /// The wrapper around the deflate data.
    public enum Format: Sendable {
        /// RFC 1952 gzip.
        case gzip
        /// RFC 1950 zlib (what HTTP and gRPC call `deflate`).
        case zlib
        /// RFC 1951 deflate without a header (zip entries).
        case raw

        /// The coding's name in HTTP's `Content-Encoding` and gRPC's `grpc-encoding`: `gzip` or `deflate`.
        public var name: String {
            switch self {
            case .gzip: "gzip"
            case .zlib, .raw: "deflate"
            }
        }
    }

    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let format: Format
    /// True once the current stream (gzip member) has ended.
    public private(set) var ended = false

    /// `raw`: deflate without a header (zip); otherwise gzip.
    public convenience init(raw: Bool) throws { try self.init(format: raw ? .raw : .gzip) }

    /// An inflate stream of `format`.
    public init(format: Format) throws {
        self.format = format
        stream.initialize(to: z_stream())
        let bits: Int32 =
            switch format {
            case .gzip: MAX_WBITS + 16
            case .zlib: MAX_WBITS
            case .raw: -MAX_WBITS
            }
        guard inflateInit2_(stream, bits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw LedgeError.runtimeFailure("zlib could not start an inflate stream")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Starts the next gzip member after one ended.
    public func reset() {
        inflateReset(stream)
        ended = false
    }

    /// Inflates from `input` into `output`; returns the bytes consumed and produced.
    /// Throws the zlib message, prefixed by `label`, on corrupt data.
    public func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, label: String) throws -> (Int, Int) {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        let consumed = input.count - Int(stream.pointee.avail_in)
        let produced = output.count - Int(stream.pointee.avail_out)
        switch status {
        case Z_STREAM_END: ended = true
        case Z_OK: break
        case Z_BUF_ERROR where consumed > 0 || produced > 0 || input.isEmpty: break
        default:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
            throw LedgeError.invalidInput("\(label): corrupt \(format.name) data (\(message))")
        }
        return (consumed, produced)
    }
}
