#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// Writes POSIX (ustar + pax) tar archives that depend only on their entries:
/// one fixed mtime, numeric owners without names, no device numbers, and a pax
/// `path`/`linkpath` record only when a name does not fit ustar.
struct TarWriter {
    /// The archive so far.
    private(set) var bytes: [UInt8] = []
    let mtime: Int64

    init(mtime: Int64) { self.mtime = max(0, mtime) }

    enum Kind: UInt8 {
        case file = 0x30  // '0'
        case symlink = 0x32  // '2'
        case directory = 0x35  // '5'
    }

    /// Appends an entry. `name` has no leading slash; directories get a trailing `/`.
    mutating func append(name: String, kind: Kind, mode: UInt32, owner: UInt32, link: String = "", contents: [UInt8] = []) {
        let entryName = kind == .directory && !name.hasSuffix("/") ? name + "/" : name
        let split = Self.split(entryName)
        var pax: [(String, String)] = []
        if split == nil { pax.append(("path", entryName)) }
        if link.utf8.count > 100 { pax.append(("linkpath", link)) }
        if !pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in pax { records += Self.paxRecord(key, value) }
            let paxName = "PaxHeaders/" + String(entryName.suffix(80).map { $0 == "/" ? "_" : $0 })
            appendHeader(name: paxName, prefix: "", type: 0x78, mode: 0o644, owner: 0, size: records.count, link: "")
            appendContents(records)
        }
        let (prefix, short) = split ?? ("", String(decoding: entryName.utf8.suffix(99), as: UTF8.self))
        appendHeader(
            name: short, prefix: prefix, type: kind.rawValue, mode: mode, owner: owner, size: contents.count,
            link: String(decoding: link.utf8.prefix(100), as: UTF8.self))
        appendContents(contents)
    }

    /// Ends the archive with two zero blocks.
    mutating func finish() { bytes += [UInt8](repeating: 0, count: 1024) }

    /// ustar's (prefix, name) for `path`, or nil when it needs a pax record.
    private static func split(_ path: String) -> (String, String)? {
        let utf8 = Array(path.utf8)
        if utf8.count <= 100 { return ("", path) }
        // Split at a '/' so that the prefix fits 155 bytes and the rest 100.
        for index in utf8.indices.reversed() where utf8[index] == 0x2F {
            let prefix = utf8[..<index]
            let name = utf8[(index + 1)...]
            if prefix.count <= 155 && name.count <= 100 && !name.isEmpty {
                return (String(decoding: prefix, as: UTF8.self), String(decoding: name, as: UTF8.self))
            }
        }
        return nil
    }

    private static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    private mutating func appendHeader(name: String, prefix: String, type: UInt8, mode: UInt32, owner: UInt32, size: Int, link: String) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { header[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode), at: 100, width: 8)
        octal(Int64(owner), at: 108, width: 8)
        octal(Int64(owner), at: 116, width: 8)
        octal(Int64(size), at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        header[156] = type
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        octal(0, at: 329, width: 8)
        octal(0, at: 337, width: 8)
        put(prefix, at: 345, width: 155)
        for i in 148..<156 { header[i] = 0x20 }
        let checksum = header.reduce(0) { $0 + Int64($1) }
        octal(checksum, at: 148, width: 7)
        header[155] = 0x20
        bytes += header
    }

    private mutating func appendContents(_ contents: [UInt8]) {
        bytes += contents
        let pad = (512 - contents.count % 512) % 512
        bytes += [UInt8](repeating: 0, count: pad)
    }
}
