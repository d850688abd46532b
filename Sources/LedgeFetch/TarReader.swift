internal import LedgeCore

/// Reads a tar archive (POSIX ustar with pax `x` headers, GNU `L`/`K` long names, old v7)
/// from a stream and unpacks its files and folders into an ``UnpackFolder``, which refuses
/// unsafe entries. Links, devices and fifos are refused; global pax headers are skipped.
struct TarReader<Source: ByteSource> {
    private var source: Source
    private let folder: UnpackFolder
    private var offset: Int64 = 0
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// The largest pax or GNU long-name record read.
    static var maxMetadata: Int64 { 1 << 20 }

    init(_ source: Source, into folder: UnpackFolder) {
        self.source = source
        self.folder = folder
    }

    /// Unpacks every entry up to the end-of-archive blocks.
    mutating func unpack() throws {
        var pax: [String: String] = [:]
        var longName: String?
        while let header = try nextHeader() {
            let type = header[156]
            let declared = try size(header)
            let size = pax["size"].flatMap { Int64($0) } ?? declared
            let name = pax["path"] ?? longName ?? Self.name(header)
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                guard size <= Self.maxMetadata else { throw folder.malformed("a metadata record of \(size) bytes is too large") }
                let data = try readData(Int(size))
                if type == UInt8(ascii: "x") { pax = try Self.paxRecords(data, folder) }
                if type == UInt8(ascii: "L") { longName = Self.string(data[...]) }
                continue
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                if name.hasSuffix("/") && size == 0 {
                    try folder.addDirectory(name)
                } else {
                    _ = try folder.components(name)
                    try folder.reserve(size)
                    let mode = Self.octal(header[100..<108]) ?? 0o644
                    try folder.addFile(name, executable: mode & 0o111 != 0) { write in try copy(size, to: write) }
                }
            case UInt8(ascii: "5"): try folder.addDirectory(name)
            case UInt8(ascii: "1"): try folder.refuseKind(name, "a hard link")
            case UInt8(ascii: "2"): try folder.refuseKind(name, "a symbolic link")
            case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"): try folder.refuseKind(name, "a device or a fifo")
            default: try folder.refuseKind(name, "of the unsupported tar type '\(Character(Unicode.Scalar(type)))'")
            }
            pax = [:]
            longName = nil
        }
    }

    /// The next header block; nil at the end (a zero block, or the end of the data).
    private mutating func nextHeader() throws -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: 512)
        let at = offset
        let n = try header.withUnsafeMutableBytes { try source.readFully(into: $0) }
        offset += Int64(n)
        if n == 0 || header.allSatisfy({ $0 == 0 }) { return nil }
        guard n == 512 else { throw folder.malformed("truncated at byte \(offset)") }
        let stored = Self.octal(header[148..<156])
        let unsigned = header.enumerated().reduce(0) { $0 + Int64((148..<156).contains($1.offset) ? 0x20 : $1.element) }
        let signed = header.enumerated().reduce(0) { $0 + Int64((148..<156).contains($1.offset) ? 0x20 : Int8(bitPattern: $1.element)) }
        guard let stored, stored == unsigned || stored == signed else { throw folder.malformed("not a tar archive (bad header at byte \(at))") }
        return header
    }

    /// The entry's size: octal, or base-256 when the first byte has its high bit set.
    private func size(_ header: [UInt8]) throws -> Int64 {
        let field = header[124..<136]
        if field.first! & 0x80 != 0 {
            guard field.dropFirst().prefix(4).allSatisfy({ $0 == 0 }) else { throw folder.malformed("an entry's size is too large") }
            return field.suffix(7).reduce(0) { $0 << 8 | Int64($1) }
        }
        guard let size = Self.octal(field), size >= 0 else { throw folder.malformed("an entry's size is not a number") }
        return size
    }

    /// `size` bytes of entry data, then the padding to the next block.
    private mutating func copy(_ size: Int64, to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        var left = size
        while left > 0 {
            let want = Int(min(left, Int64(buffer.count)))
            let n = try buffer.withUnsafeMutableBytes { try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<want])) }
            guard n == want else { throw folder.malformed("truncated at byte \(offset + Int64(n))") }
            try buffer.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            left -= Int64(n)
            offset += Int64(n)
        }
        try skipPadding(size)
    }

    private mutating func readData(_ size: Int) throws -> [UInt8] {
        var data = [UInt8](repeating: 0, count: size)
        let n = try data.withUnsafeMutableBytes { try source.readFully(into: $0) }
        offset += Int64(n)
        guard n == size else { throw folder.malformed("truncated at byte \(offset)") }
        try skipPadding(Int64(size))
        return data
    }

    private mutating func skipPadding(_ size: Int64) throws {
        let pad = Int((512 - size % 512) % 512)
        guard pad > 0 else { return }
        let n = try buffer.withUnsafeMutableBytes { try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<pad])) }
        offset += Int64(n)
        guard n == pad else { throw folder.malformed("truncated at byte \(offset)") }
    }

    /// ustar's `prefix/name` (or v7's `name`).
    private static func name(_ header: [UInt8]) -> String {
        let name = string(header[0..<100])
        let isUstar = header[257..<262].elementsEqual("ustar".utf8)
        let prefix = isUstar ? string(header[345..<500]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// The bytes up to the first NUL, as UTF-8.
    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (leading spaces, trailing NULs or spaces).
    private static func octal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        let digits = bytes.drop { $0 == 0x20 }.prefix { $0 != 0 && $0 != 0x20 }
        guard !digits.isEmpty, digits.count <= 21 else { return digits.isEmpty ? 0 : nil }
        return Int64(String(decoding: digits, as: UTF8.self), radix: 8)
    }

    /// `LEN key=value\n` records.
    private static func paxRecords(_ data: [UInt8], _ folder: UnpackFolder) throws -> [String: String] {
        var records: [String: String] = [:]
        var at = 0
        while at < data.count {
            guard let space = data[at...].firstIndex(of: 0x20), let length = Int(String(decoding: data[at..<space], as: UTF8.self)),
                length > space - at, at + length <= data.count, data[at + length - 1] == 0x0A,
                let equals = data[(space + 1)..<(at + length)].firstIndex(of: 0x3D)
            else { throw folder.malformed("a pax header is malformed") }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            records[key] = String(decoding: data[(equals + 1)..<(at + length - 1)], as: UTF8.self)
            at += length
        }
        return records
    }
}
