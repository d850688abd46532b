#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// An ELF machine (`e_machine`), named as `file(1)` names it.
public struct ELFMachine: Hashable, Sendable, CustomStringConvertible {
    /// The raw `e_machine` value.
    public let rawValue: UInt16
    /// `e_machine` `rawValue`.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// EM_X86_64 (62).
    public static let x86_64 = ELFMachine(rawValue: 62)
    /// EM_AARCH64 (183).
    public static let aarch64 = ELFMachine(rawValue: 183)

    public var description: String {
        switch rawValue {
        case 62: return "x86_64"
        case 183: return "aarch64"
        case 3: return "i386"
        case 40: return "arm"
        case 243: return "riscv"
        default: return "machine \(rawValue)"
        }
    }
}

/// What the packager needs to know of an ELF file: its machine, its dynamic
/// loader, the libraries it needs, and whether it still carries symbols.
///
/// Reads only the headers, the dynamic section and its string table; 64-bit
/// little-endian files only (both platforms Ledge builds for).
public struct ELFFile: Sendable {
    /// The file's machine.
    public var machine: ELFMachine
    /// `PT_INTERP`: the dynamic loader executables name, e.g. `/lib64/ld-linux-x86-64.so.2`.
    public var interpreter: String?
    /// `DT_NEEDED` entries, in order.
    public var needed: [String]
    /// `DT_SONAME`, for a shared library.
    public var soname: String?
    /// `DT_RUNPATH` (or the older `DT_RPATH`) folders, `$ORIGIN` left as it is.
    public var runpath: [String]
    /// True when a symbol table or debug sections remain (`strip` would shrink it).
    public var hasSymbols: Bool

    /// True when `bytes` start with the ELF magic.
    public static func isELF(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.count >= 4 && Array(bytes.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46]
    }

    /// True when the file at `path` starts with the ELF magic.
    public static func isELF(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        return read(fd, &magic, 4) == 4 && isELF(magic)
    }

    /// Parses the ELF file at `path`; `what` names it in errors
    /// (``LedgeError/Code/invalidInput``), e.g. "binary for linux/arm64".
    public init(path: String, what: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidInput("\(what) not found or unreadable: \(path)")
        }
        try self.init(data: data, what: "\(what) '\(path)'")
    }

    /// Parses ELF `data`; `what` names it in errors.
    public init(data: Data, what: String) throws {
        let reader = ByteReader(data: data)
        guard ELFFile.isELF(data) else { throw LedgeError.invalidInput("\(what) is not an ELF file") }
        guard reader.u8(4) == 2, reader.u8(5) == 1 else {
            throw LedgeError.invalidInput("\(what) is not a 64-bit little-endian ELF file")
        }
        let bad = LedgeError.invalidInput("\(what) is a truncated or malformed ELF file")
        guard let machine = reader.u16(18), let phoff = reader.u64(32), let shoff = reader.u64(40),
            let phentsize = reader.u16(54), let phnum = reader.u16(56), let shentsize = reader.u16(58),
            let shnum = reader.u16(60), let shstrndx = reader.u16(62)
        else { throw bad }
        self.machine = ELFMachine(rawValue: machine)

        var loads: [(vaddr: UInt64, offset: UInt64, size: UInt64)] = []
        var dynamic: (offset: UInt64, size: UInt64)?
        var interpreter: String?
        for i in 0..<UInt64(phnum) {
            let base = phoff &+ i &* UInt64(phentsize)
            guard let type = reader.u32(base), let offset = reader.u64(base + 8), let vaddr = reader.u64(base + 16),
                let filesz = reader.u64(base + 32)
            else { throw bad }
            switch type {
            case 1: loads.append((vaddr, offset, filesz))
            case 2: dynamic = (offset, filesz)
            case 3: interpreter = reader.cString(offset, limit: filesz)
            default: break
            }
        }
        self.interpreter = interpreter

        var needed: [String] = []
        var soname: String?
        var runpath: [String] = []
        if let dynamic {
            var strtab: UInt64?
            var neededOffsets: [UInt64] = []
            var sonameOffset: UInt64?
            var runpathOffset: UInt64?
            var at = dynamic.offset
            while at + 16 <= dynamic.offset + dynamic.size, let tag = reader.u64(at), let value = reader.u64(at + 8), tag != 0 {
                switch tag {
                case 1: neededOffsets.append(value)
                case 5: strtab = value
                case 14: sonameOffset = value
                case 15, 29: runpathOffset = value
                default: break
                }
                at += 16
            }
            if let strtab {
                guard let load = loads.first(where: { strtab >= $0.vaddr && strtab < $0.vaddr + $0.size }) else { throw bad }
                let table = strtab - load.vaddr + load.offset
                needed = try neededOffsets.map {
                    guard let name = reader.cString(table + $0, limit: 4096) else { throw bad }
                    return name
                }
                soname = sonameOffset.flatMap { reader.cString(table + $0, limit: 4096) }
                runpath =
                    runpathOffset.flatMap { reader.cString(table + $0, limit: 4096) }.map {
                        $0.split(separator: ":").map(String.init)
                    } ?? []
            }
        }
        self.needed = needed
        self.soname = soname
        self.runpath = runpath

        var hasSymbols = false
        if shoff != 0, shnum > 0, shstrndx < shnum {
            let names = reader.u64(shoff + UInt64(shstrndx) * UInt64(shentsize) + 24)
            for i in 0..<UInt64(shnum) {
                let base = shoff + i * UInt64(shentsize)
                guard let name = reader.u32(base), let type = reader.u32(base + 4) else { throw bad }
                let sectionName = names.flatMap { reader.cString($0 + UInt64(name), limit: 256) } ?? ""
                if type == 2 || sectionName.hasPrefix(".debug_") {
                    hasSymbols = true
                    break
                }
            }
        }
        self.hasSymbols = hasSymbols
    }
}

/// Bounds-checked little-endian reads.
private struct ByteReader {
    let data: Data

    func u8(_ at: UInt64) -> UInt8? {
        guard at < UInt64(data.count) else { return nil }
        return data[data.startIndex + Int(at)]
    }

    func value(_ at: UInt64, size: Int) -> UInt64? {
        guard at <= UInt64(data.count), UInt64(data.count) - at >= UInt64(size) else { return nil }
        var result: UInt64 = 0
        let start = data.startIndex + Int(at)
        for i in (0..<size).reversed() { result = result << 8 | UInt64(data[start + i]) }
        return result
    }

    func u16(_ at: UInt64) -> UInt16? { value(at, size: 2).map { UInt16($0) } }
    func u32(_ at: UInt64) -> UInt32? { value(at, size: 4).map { UInt32($0) } }
    func u64(_ at: UInt64) -> UInt64? { value(at, size: 8) }

    func cString(_ at: UInt64, limit: UInt64) -> String? {
        guard at < UInt64(data.count) else { return nil }
        let start = data.startIndex + Int(at)
        let end = data.startIndex + Int(min(UInt64(data.count), at &+ limit))
        guard let zero = data[start..<end].firstIndex(of: 0) else { return nil }
        return String(decoding: data[start..<zero], as: UTF8.self)
    }
}
