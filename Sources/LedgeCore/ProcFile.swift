#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Linux's `/proc` files, read whole. They report size 0, and Foundation's readers stop after
/// their first read: `/proc/PID/maps` of `ledge serve` came back cut to 57 of its 182 lines,
/// `/proc/self/smaps` to one page, and `/proc/stat` outgrows a page on a machine of many cores.
public enum ProcFile {
    /// The whole text of `path`, read with `read(2)` until end of file; throws
    /// ``LedgeError/Code/invalidInput`` naming the path when it cannot be opened or read.
    public static func text(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgeError.invalidInput("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw LedgeError.invalidInput("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: buffer[..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// This process's resident set size in bytes (`/proc/self/statm` resident pages × page size), 0 when unknown.
    public static func residentBytes() -> Int {
        guard let text = try? Self.text("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Musl)
private let systemRead = Musl.read
#endif
