#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Writes a file so that readers see the old content or the whole new content, never half of it.
public enum AtomicFile {
    /// Writes `text` to a temporary file in `path`'s folder, flushes it, then renames it over `path`.
    ///
    /// Throws ``LedgeError/invalidInput(_:)`` naming `option` and the path when the folder is
    /// missing or not writable; the temporary file is removed on failure.
    public static func write(_ text: String, to path: String, option: String) throws {
        try write(bytes: Array(text.utf8), to: path, option: option)
    }

    /// Writes `bytes` as ``write(_:to:option:)`` writes text.
    public static func write(bytes: [UInt8], to path: String, option: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        try checkDirectory(of: path, option: option)
        let temporary = PathName.appending(
            ".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp", to: directory)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw LedgeError.invalidInput("\(option) \(path): cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        var ok = true
        var written = 0
        while ok && written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if n <= 0 { ok = false } else { written += n }
        }
        let reason = ok ? "" : String(cString: strerror(errno))
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let why = reason.isEmpty ? String(cString: strerror(errno)) : reason
            unlink(temporary)
            throw LedgeError.invalidInput("\(option) \(path): cannot write the file: \(why)")
        }
    }

    /// Throws unless `path`'s folder exists (checked before measuring, so a typo fails fast).
    public static func checkDirectory(of path: String, option: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard PathName.isDirectory(directory) else {
            throw LedgeError.invalidInput("\(option) \(path): directory not found: \(directory)")
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#endif
