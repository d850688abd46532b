#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import CLedgeProcess
internal import Crypto
public import LedgeCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// sha256 digests as lowercase hex, the form OCI digests and SBOMs use.
public enum ContentDigest {
    /// The sha256 of `bytes`, as 64 hex digits.
    public static func sha256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func sha256(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The sha256 of the file at `path`, read in 1 MiB pieces.
    public static func sha256(file path: String) throws -> (digest: String, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgeError.invalidInput("cannot read \(path)") }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw LedgeError.invalidInput("cannot read \(path)") }
            if n == 0 { break }
            hasher.update(data: buffer[0..<n])
            size += n
        }
        return (hex(hasher.finalize()), size)
    }

    /// Lower-case hex of `digest`'s bytes.
    package static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// What `lstat` says of a path.
enum PathKind: Equatable {
    case missing
    case file(mode: UInt32)
    case symlink(target: String)
    case directory
    case other
}

enum LocalFiles {
    static func kind(_ path: String) -> PathKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file(mode: UInt32(info.st_mode & 0o7777))
        case S_IFDIR: return .directory
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &buffer, buffer.count - 1)
            guard n > 0 else { return .other }
            return .symlink(target: String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default: return .other
        }
    }

    /// `path` (relative, no leading slash) with `.` and `..` resolved; nil if it leaves the root.
    static func normalize(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    /// Where a symlink at `path` (relative) pointing to `target` leads, relative to the root.
    static func resolve(_ target: String, from path: String) -> String? {
        if target.hasPrefix("/") { return normalize(String(target.dropFirst())) }
        let parent = path.split(separator: "/").dropLast().joined(separator: "/")
        return normalize(parent.isEmpty ? target : parent + "/" + target)
    }
}

/// Runs a program and waits (no shell; used for `strip`).
enum Spawn {
    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        ledge_spawn_close_inherited(&actions)
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// The first of `names` found on PATH (then in `extra` folders).
    static func find(_ names: [String], extra: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + extra
        for name in names {
            for folder in folders where access(folder + "/" + name, X_OK) == 0 { return folder + "/" + name }
        }
        return nil
    }
}
