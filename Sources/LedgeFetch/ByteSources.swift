internal import LedgeCore
internal import LedgeCompression

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Bytes read in order (a file, or what inflates from one).
protocol ByteSource {
    /// Fills the start of `buffer`; returns the count, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource {
    /// Exactly `buffer.count` bytes, or the count read before the end.
    mutating func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { break }
            done += n
        }
        return done
    }
}

/// An open file read from its start.
struct FileSource: ByteSource {
    let fd: Int32
    let label: String

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = systemRead(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw LedgeError.invalidInput("\(label): cannot read (\(LocalFiles.reason))") }
        }
    }
}

/// `read(2)`, named apart from ``ByteSource/read(into:)``.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }

/// The inflated bytes of a gzip file (members one after the other).
struct GzipSource<Compressed: ByteSource>: ByteSource {
    private var compressed: Compressed
    private let inflater: Inflater
    private let label: String
    private var input = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var exhausted = false

    init(_ compressed: Compressed, label: String) throws {
        self.compressed = compressed
        self.label = label
        inflater = try Inflater(raw: false)
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if start == end && !exhausted {
                end = try input.withUnsafeMutableBytes { try compressed.read(into: $0) }
                start = 0
                exhausted = end == 0
            }
            if start == end && exhausted {
                guard inflater.ended else { throw LedgeError.invalidInput("\(label): the gzip data is truncated") }
                return 0
            }
            if inflater.ended { inflater.reset() }  // another member follows
            let (consumed, produced) = try input.withUnsafeBytes {
                try inflater.inflate(UnsafeRawBufferPointer(rebasing: $0[start..<end]), into: buffer, label: label)
            }
            start += consumed
            if produced > 0 { return produced }
        }
    }
}
