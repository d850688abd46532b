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

    /// Writes `bytes` as ``write(_:to:option:)`` writes text. A symbolic link at `path` stays: the
    /// file it names is replaced. A device or FIFO there (`/dev/null`) is written to as it is, never
    /// replaced; a folder is refused.
    public static func write(bytes: [UInt8], to path: String, option: String) throws {
        let target: String
        switch try destination(of: path, option: option) {
        case .stream(let device):
            try stream(bytes, to: device, shown: path, option: option)
            return
        case .replace(let file):
            target = file
        }
        let url = URL(fileURLWithPath: target)
        let directory = url.deletingLastPathComponent().path
        try checkDirectory(of: path, option: option)
        let temporary = PathName.appending(
            ".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp", to: directory)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw LedgeError.invalidInput("\(option) \(path): cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        var ok = writeAll(bytes, to: fd)
        let reason = ok ? "" : String(cString: strerror(errno))
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, target) == 0 else {
            let why = reason.isEmpty ? String(cString: strerror(errno)) : reason
            unlink(temporary)
            throw LedgeError.invalidInput("\(option) \(path): cannot write the file: \(why)")
        }
    }

    /// Throws unless `path` can be written: its folder exists (checked before measuring, so a typo
    /// fails fast) and it is no folder.
    public static func checkDirectory(of path: String, option: String) throws {
        guard case .replace(let target) = try destination(of: path, option: option) else { return }
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        guard PathName.isDirectory(directory) else {
            throw LedgeError.invalidInput("\(option) \(path): directory not found: \(directory)")
        }
    }

    /// Throws when `path` is one of `inputs` (the same file, however named: ``OutputPlace``'s test):
    /// writing it would destroy what the command reads, such as the model it measures.
    public static func checkNotInput(_ path: String, inputs: [String], option: String) throws {
        var output = stat()
        guard stat(path, &output) == 0, (output.st_mode & S_IFMT) == S_IFREG, let input = OutputPlace.input(at: path, among: inputs)
        else { return }
        throw LedgeError.invalidInput("\(option) \(path) is the input \(input): writing it would destroy it; expected another path")
    }

    /// Where a write to `path` goes.
    private enum Destination {
        /// A regular file, new or replaced (a symbolic link's target).
        case replace(String)
        /// A character device or FIFO, written as it is.
        case stream(String)
    }

    private static func destination(of path: String, option: String) throws -> Destination {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .replace(path) }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return .replace(path)
        case S_IFCHR, S_IFIFO:
            return .stream(path)
        case S_IFDIR:
            throw LedgeError.invalidInput("\(option) \(path): is a folder: expected a file path")
        case S_IFLNK:
            var named = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &named, named.count - 1)
            guard count > 0 else { return .replace(path) }
            let text = String(decoding: named[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let target = text.hasPrefix("/") ? text : PathName.appending(text, to: URL(fileURLWithPath: path).deletingLastPathComponent().path)
            if target == path { return .replace(path) }
            return try destination(of: target, option: option)
        default:
            throw LedgeError.invalidInput("\(option) \(path): not a regular file, device or FIFO: expected a file path")
        }
    }

    /// `bytes` written to the device or FIFO at `device` (named `shown` in errors).
    private static func stream(_ bytes: [UInt8], to device: String, shown: String, option: String) throws {
        let fd = open(device, O_WRONLY)
        guard fd >= 0 else { throw LedgeError.invalidInput("\(option) \(shown): cannot open it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard writeAll(bytes, to: fd) else {
            throw LedgeError.invalidInput("\(option) \(shown): cannot write it: \(String(cString: strerror(errno)))")
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        bytes.withUnsafeBytes { StandardStreams.writeAll($0, to: fd) }
    }
}
