internal import CZlib

/// The zip archive that TFLite zoo models carry after the flatbuffer (associated
/// files such as labels): end-of-central-directory → central directory → local
/// headers. Stored and deflated entries; everything bounds-checked.
struct ZipTail {
    struct Entry {
        var name: String
        var method: Int
        var compressedSize: Int
        var size: Int
        var localHeader: Int
    }

    /// The largest entry Ledge inflates (labels and vocabularies are far smaller).
    static let maximumEntrySize = 64 << 20

    let bytes: [UInt8]
    let entries: [Entry]

    /// Finds the archive at the tail of `bytes`; nil when there is none or it is malformed.
    init?(_ bytes: [UInt8]) {
        self.bytes = bytes
        let fb = FlatBuffer(bytes)
        let lowest = max(0, bytes.count - 22 - 65_535)
        var eocd = bytes.count - 22
        while eocd >= lowest, (try? fb.u32(eocd, "")) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= lowest,
            let count = try? fb.u16(eocd + 10, ""), let cdSize = try? fb.u32(eocd + 12, ""),
            let cdOffset = try? fb.u32(eocd + 16, "")
        else { return nil }
        // Offsets may be relative to where the archive starts inside the file.
        let base = eocd - Int(cdSize) - Int(cdOffset)
        guard base >= 0 else { return nil }
        var entries: [Entry] = []
        var at = base + Int(cdOffset)
        for _ in 0..<Int(count) {
            guard (try? fb.u32(at, "")) == 0x0201_4B50,
                let method = try? fb.u16(at + 10, ""), let compressed = try? fb.u32(at + 20, ""),
                let size = try? fb.u32(at + 24, ""), let nameLength = try? fb.u16(at + 28, ""),
                let extra = try? fb.u16(at + 30, ""), let comment = try? fb.u16(at + 32, ""),
                let local = try? fb.u32(at + 42, ""), (try? fb.check(at + 46, Int(nameLength), "")) != nil
            else { return nil }
            let name = String(decoding: bytes[at + 46..<at + 46 + Int(nameLength)], as: UTF8.self)
            entries.append(
                Entry(
                    name: name, method: Int(method), compressedSize: Int(compressed), size: Int(size),
                    localHeader: base + Int(local)))
            at += 46 + Int(nameLength) + Int(extra) + Int(comment)
        }
        self.entries = entries
    }

    /// The uncompressed bytes of `entry`, nil when unreadable.
    func contents(of entry: Entry) -> [UInt8]? {
        let fb = FlatBuffer(bytes)
        guard entry.size <= Self.maximumEntrySize, (try? fb.u32(entry.localHeader, "")) == 0x0403_4B50,
            let nameLength = try? fb.u16(entry.localHeader + 26, ""),
            let extra = try? fb.u16(entry.localHeader + 28, "")
        else { return nil }
        let start = entry.localHeader + 30 + Int(nameLength) + Int(extra)
        guard (try? fb.check(start, entry.compressedSize, "")) != nil else { return nil }
        let raw = Array(bytes[start..<start + entry.compressedSize])
        switch entry.method {
        case 0: return raw.count == entry.size ? raw : nil
        case 8: return Self.inflate(raw, size: entry.size)
        default: return nil
        }
    }

    /// Raw-deflate decompression to exactly `size` bytes.
    static func inflate(_ input: [UInt8], size: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: max(size, 1))
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return nil
        }
        defer { inflateEnd(&stream) }
        var input = input
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Int32 in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else { return nil }
        return Array(output.prefix(size))
    }
}
