internal import LedgeCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The folder an archive unpacks into, and the rules every entry obeys: a relative path
/// without `..`, only files and folders (no links, devices or fifos), each name once, and
/// limits on the entry count and the bytes written (counted as they are written, so a
/// zip bomb stops at the limit).
final class UnpackFolder {
    let root: String
    /// The archive as messages name it.
    let archive: String
    let maxBytes: Int64
    let maxEntries: Int
    private(set) var bytes: Int64 = 0
    private(set) var entries = 0

    init(root: String, archive: String, maxBytes: Int64, maxEntries: Int) {
        self.root = root
        self.archive = archive
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
    }

    /// A one-line error about the entry `name`.
    func refuse(_ name: String, _ what: String, code: LedgeError.Code = .invalidInput) -> LedgeError {
        LedgeError(code, "archive \(archive): entry '\(name)' \(what)")
    }

    /// An error about the archive as a whole.
    func malformed(_ what: String) -> LedgeError { LedgeError.invalidInput("archive \(archive): \(what)") }

    /// The entry's path components; throws for absolute paths and `..`.
    func components(_ name: String) throws -> [Substring] {
        if name.hasPrefix("/") { throw refuse(name, "is an absolute path") }
        if name.contains("\0") || name.isEmpty { throw refuse(name, "has no usable name") }
        let parts = name.split(separator: "/").filter { $0 != "." }
        if parts.contains("..") { throw refuse(name, "escapes the folder") }
        return parts
    }

    /// Refuses an entry that is not a file or a folder.
    func refuseKind(_ name: String, _ kind: String) throws -> Never {
        _ = try components(name)  // a path that escapes is the worse fault
        throw refuse(name, "is \(kind) (only files and folders are unpacked)")
    }

    /// Fails when `more` bytes would pass the limit.
    func reserve(_ more: Int64) throws {
        guard more <= maxBytes - bytes else {
            throw malformed("unpacks to more than \(maxBytes) bytes (the limit)").withCode(.tooLarge)
        }
    }

    private func count(_ name: String) throws {
        entries += 1
        guard entries <= maxEntries else { throw malformed("has more than \(maxEntries) entries (the limit)").withCode(.tooLarge) }
    }

    /// Creates the folder `name` (and its parents).
    func addDirectory(_ name: String) throws {
        let parts = try components(name)
        try count(name)
        try makeParents(parts, name: name, includingLast: true)
    }

    /// Creates the file `name` and lets `body` write it through the function it is handed.
    func addFile(_ name: String, executable: Bool, body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let parts = try components(name)
        guard !parts.isEmpty else { throw refuse(name, "has no usable name") }
        try count(name)
        try makeParents(parts, name: name, includingLast: false)
        let path = root + "/" + parts.joined(separator: "/")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard fd >= 0 else {
            throw errno == EEXIST ? refuse(name, "appears twice") : refuse(name, "cannot be written (\(LocalFiles.reason))")
        }
        defer { close(fd) }
        try body { chunk in
            try reserve(Int64(chunk.count))
            var done = 0
            while done < chunk.count {
                let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw refuse(name, "cannot be written (\(LocalFiles.reason))", code: .runtimeFailure) }
                done += n
            }
            bytes += Int64(chunk.count)
        }
        guard fsync(fd) == 0 else { throw refuse(name, "cannot be written (\(LocalFiles.reason))", code: .runtimeFailure) }
    }

    private func makeParents(_ parts: [Substring], name: String, includingLast: Bool) throws {
        var path = root
        for part in includingLast ? parts[...] : parts.dropLast() {
            path += "/" + part
            if mkdir(path, 0o755) != 0 {
                guard errno == EEXIST, LocalFiles.kind(path) == .directory else {
                    throw refuse(name, "cannot be made a folder (\(errno == EEXIST ? "a file has that name" : LocalFiles.reason))")
                }
            }
        }
    }
}

extension LedgeError {
    /// The same message with another code.
    func withCode(_ code: Code) -> LedgeError { LedgeError(code, message) }
}
