internal import CZlib
internal import LedgeCore

/// One-shot deflate with Debian's zlib. A gzip header carries no name and
/// mtime 0, so the output depends only on the input, the level and the zlib
/// version (image layers are content-addressed).
public enum Deflater {
    /// `input` compressed at `level` (1–9) in `format` (gzip or zlib; raw for zip entries).
    public static func compress(_ input: [UInt8], format: Inflater.Format = .gzip, level: Int32) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0, format: format, level: level) }
    }

    /// The bytes of `input` compressed at `level` (1–9) in `format`.
    public static func compress(_ input: UnsafeRawBufferPointer, format: Inflater.Format = .gzip, level: Int32) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 (+ 16: a gzip wrapper; negative: none); memLevel 8 is zlib's default.
        let bits: Int32 =
            switch format {
            case .gzip: 15 + 16
            case .zlib: 15
            case .raw: -15
            }
        guard deflateInit2_(&stream, level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw LedgeError.runtimeFailure("zlib could not start a \(format.name) stream") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        let status = output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else { throw LedgeError.runtimeFailure("zlib could not compress (status \(status))") }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
