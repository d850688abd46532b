internal import CZlib
internal import LedgeCore

/// A zlib inflate stream: gzip (one or more members) or raw deflate (zip entries).
/// The `z_stream` lives at a fixed address: zlib keeps a pointer back to it.
final class Inflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let raw: Bool
    /// True once the current stream (gzip member) has ended.
    private(set) var ended = false

    /// `raw`: deflate without a header (zip); otherwise gzip.
    init(raw: Bool) throws {
        self.raw = raw
        stream.initialize(to: z_stream())
        let bits: Int32 = raw ? -MAX_WBITS : MAX_WBITS + 16
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
    func reset() {
        inflateReset(stream)
        ended = false
    }

    /// Inflates from `input` into `output`; returns the bytes consumed and produced.
    /// Throws the zlib message, prefixed by `label`, on corrupt data.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, label: String) throws -> (Int, Int) {
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
            throw LedgeError.invalidInput("\(label): corrupt \(raw ? "deflate" : "gzip") data (\(message))")
        }
        return (consumed, produced)
    }
}
