internal import LedgeCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The archive formats a model URI may name: found by magic bytes, else by the file name.
enum ArchiveKind: Sendable, Equatable {
    case tarGz, tar, zip

    /// The kind of the file at `path` (named `name` in its URI), nil for a plain file.
    static func detect(path: String, name: String) -> ArchiveKind? {
        let head = LocalFiles.prefix(path, count: 512)
        if head.starts(with: [0x1F, 0x8B]) { return .tarGz }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if head.count == 512 && head[257..<262].elementsEqual("ustar".utf8) { return .tar }
        let lower = name.lowercased()
        if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") { return .tarGz }
        if lower.hasSuffix(".tar") { return .tar }
        if lower.hasSuffix(".zip") { return .zip }
        return nil
    }

    /// Unpacks the archive at `path` into the empty folder `root`; `archive` names it in errors.
    func unpack(_ path: String, into root: String, archive: String, options: FetchOptions) throws {
        let folder = UnpackFolder(root: root, archive: archive, maxBytes: options.maxUnpackedBytes, maxEntries: options.maxEntries)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgeError.invalidInput("archive \(archive): cannot read \(path) (\(LocalFiles.reason))") }
        defer { close(fd) }
        let file = FileSource(fd: fd, label: "archive \(archive)")
        switch self {
        case .tar:
            var reader = TarReader(file, into: folder)
            try reader.unpack()
        case .tarGz:
            var reader = TarReader(try GzipSource(file, label: "archive \(archive)"), into: folder)
            try reader.unpack()
        case .zip:
            try ZipReader(fd: fd, size: LocalFiles.size(fd), folder: folder).unpack()
        }
    }
}
