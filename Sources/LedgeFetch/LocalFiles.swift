#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The POSIX file operations the cache and the unpacker need, with one-line errors.
package enum LocalFiles {
    /// What `lstat` says `path` is.
    enum Kind { case missing, file, directory, other }

    static func kind(_ path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The current `errno` as text.
    static var reason: String { String(cString: strerror(errno)) }

    /// Creates `path` and its missing parents (the server's upload folder too).
    package static func makeDirectories(_ path: String) throws {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw LedgeError(.runtimeFailure, "cannot create the folder \(current): \(reason)")
            }
        }
        guard kind(path) == .directory else { throw LedgeError(.runtimeFailure, "\(path) is not a folder") }
    }

    /// Removes `path` and what is below it, if it exists (symbolic links are removed, not followed).
    static func remove(_ path: String) {
        guard kind(path) != .missing else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The size of the open file `fd`.
    static func size(_ fd: Int32) -> Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// The regular files directly in `folder`.
    static func files(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { kind(folder + "/" + $0) == .file }
    }

    /// Flushes `path` (a file or a folder) to the disk.
    static func sync(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The first `count` bytes of the file at `path` (fewer when it is shorter).
    static func prefix(_ path: String, count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        return Array(bytes.prefix(max(0, n)))
    }

    /// A fresh name for a temporary entry.
    static func uniqueName() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16) + "-" + String(getpid())
    }
}
