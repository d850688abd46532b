internal import CZlib
internal import LedgeCore
internal import LedgeCompression

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Reads a zip archive through its central directory and unpacks stored and deflated
/// entries into an ``UnpackFolder``. Refuses zip64, encryption, other methods, and
/// symbolic links or devices (by their Unix mode); checks each entry's CRC-32 and that
/// it inflates to no more than it declares, counting as it goes.
struct ZipReader {
    let fd: Int32
    let size: Int64
    let folder: UnpackFolder

    struct Entry {
        var name: String
        var flags: UInt16
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int64
        var size: Int64
        var localHeader: Int64
        var unixType: UInt32?
    }

    /// Unpacks every entry.
    func unpack() throws {
        for entry in try centralDirectory() {
            let type = entry.unixType ?? 0
            if type == 0o120000 { try folder.refuseKind(entry.name, "a symbolic link") }
            if type != 0 && type != 0o100000 && type != 0o040000 { try folder.refuseKind(entry.name, "a device or a fifo") }
            if entry.name.hasSuffix("/") || type == 0o040000 {
                try folder.addDirectory(entry.name)
                continue
            }
            _ = try folder.components(entry.name)
            guard entry.flags & 1 == 0 else { throw folder.refuse(entry.name, "is encrypted") }
            guard entry.method == 0 || entry.method == 8 else {
                throw folder.refuse(entry.name, "uses compression method \(entry.method) (only stored and deflate are supported)")
            }
            try folder.reserve(entry.size)
            try folder.addFile(entry.name, executable: false) { write in try extract(entry, to: write) }
        }
    }

    /// The entries of the central directory, after the end record's checks.
    func centralDirectory() throws -> [Entry] {
        let tailSize = Int(min(size, 22 + 65_535))
        let tail = try read(at: size - Int64(tailSize), count: tailSize)
        guard tailSize >= 22, let end = stride(from: tailSize - 22, through: 0, by: -1).first(where: { u32(tail, $0) == 0x0605_4B50 }) else {
            throw folder.malformed("not a zip archive (no end of central directory)")
        }
        if end >= 20 && u32(tail, end - 20) == 0x0706_4B50 { throw folder.malformed("zip64 archives are not supported") }
        let count = Int(u16(tail, end + 10))
        let directorySize = Int64(u32(tail, end + 12))
        let directoryOffset = Int64(u32(tail, end + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw folder.malformed("zip64 archives are not supported")
        }
        guard u16(tail, end + 4) == 0, u16(tail, end + 6) == 0 else { throw folder.malformed("multi-part archives are not supported") }
        guard count <= folder.maxEntries else { throw folder.malformed("has more than \(folder.maxEntries) entries (the limit)").withCode(.tooLarge) }
        guard directoryOffset + directorySize <= size - Int64(tailSize - end) else {
            throw folder.malformed("the central directory is out of bounds")
        }
        let directory = try read(at: directoryOffset, count: Int(directorySize))
        var entries: [Entry] = []
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, u32(directory, at) == 0x0201_4B50 else { throw folder.malformed("the central directory is corrupt") }
            let nameLength = Int(u16(directory, at + 28))
            let skip = nameLength + Int(u16(directory, at + 30)) + Int(u16(directory, at + 32))
            guard at + 46 + skip <= directory.count else { throw folder.malformed("the central directory is corrupt") }
            let entry = Entry(
                name: String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self),
                flags: u16(directory, at + 8), method: u16(directory, at + 10), crc: u32(directory, at + 16),
                compressedSize: Int64(u32(directory, at + 20)), size: Int64(u32(directory, at + 24)),
                localHeader: Int64(u32(directory, at + 42)),
                unixType: directory[at + 5] == 3 ? (u32(directory, at + 38) >> 16) & 0o170000 : nil)
            if entry.compressedSize == 0xFFFF_FFFF || entry.size == 0xFFFF_FFFF || entry.localHeader == 0xFFFF_FFFF {
                throw folder.malformed("zip64 archives are not supported")
            }
            entries.append(entry)
            at += 46 + skip
        }
        return entries
    }

    /// Streams the entry's data (inflated for method 8) to `write`, checking sizes and CRC-32.
    private func extract(_ entry: Entry, to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let local = try read(at: entry.localHeader, count: 30)
        guard u32(local, 0) == 0x0403_4B50 else { throw folder.refuse(entry.name, "has no local header") }
        var position = entry.localHeader + 30 + Int64(u16(local, 26)) + Int64(u16(local, 28))
        let dataEnd = position + entry.compressedSize
        guard dataEnd <= size else { throw folder.refuse(entry.name, "is out of bounds") }
        let inflater = entry.method == 8 ? try Inflater(raw: true) : nil
        let label = "archive \(folder.archive): entry '\(entry.name)'"
        var output = [UInt8](repeating: 0, count: 1 << 16)
        var produced: Int64 = 0
        var crc = crc32(0, nil, 0)
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            produced += Int64(bytes.count)
            guard produced <= entry.size else { throw folder.refuse(entry.name, "inflates to more than its declared \(entry.size) bytes") }
            crc = crc32(crc, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
            try write(bytes)
        }
        while position < dataEnd {
            let input = try read(at: position, count: Int(min(dataEnd - position, 1 << 16)))
            position += Int64(input.count)
            guard let inflater else {
                try input.withUnsafeBytes { try emit($0) }
                continue
            }
            // Until the chunk is used up and zlib holds nothing back (a full output buffer may leave more).
            var start = 0
            var made = 0
            repeat {
                let consumed: Int
                (consumed, made) = try input.withUnsafeBytes { inBytes in
                    try output.withUnsafeMutableBytes { outBytes in
                        try inflater.inflate(UnsafeRawBufferPointer(rebasing: inBytes[start...]), into: outBytes, label: label)
                    }
                }
                start += consumed
                try output.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[..<made])) }
                if consumed == 0 && made == 0 { break }
            } while !inflater.ended && (start < input.count || made == output.count)
        }
        if let inflater, !inflater.ended { throw folder.refuse(entry.name, "is truncated") }
        guard produced == entry.size else { throw folder.refuse(entry.name, "has \(produced) bytes, not the declared \(entry.size)") }
        guard UInt32(crc) == entry.crc else { throw folder.refuse(entry.name, "is corrupt (CRC-32 mismatch)") }
    }

    private func read(at offset: Int64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw folder.malformed("truncated at byte \(offset + Int64(done))") }
            done += n
        }
        return bytes
    }

    private func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    private func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(bytes, at)) | UInt32(u16(bytes, at + 2)) << 16 }
}
