internal import Crypto
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import Logging
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// What ``ONNXGraphCache`` and ``XNNPackWeightCache`` share: a folder of entries named by the
/// model's SHA-256 and a digest of what the entry depends on, written to temporary files renamed
/// into place, touched when used, and dropped oldest first past a size limit.
protocol CacheFolder {
    /// The folder of entries (created when first written).
    var directory: String { get }
    /// The bytes the entries may take together.
    var sizeLimit: Int { get }
    /// The cache's name in log lines.
    static var title: String { get }
    /// The entries' suffix, then those of the files that go with an entry.
    static var suffixes: [String] { get }
}

extension CacheFolder {
    /// The entry for `file`: its SHA-256, then a digest of `context` (the runtime), this CPU and Ledge.
    func entry(for file: ModelFile, context: String) -> String {
        let digest = SHA256.hash(data: Data("\(context)|cpu \(CPUIdentity.current)|ledge \(LedgeVersion.current)".utf8))
        let key = file.sha256 + "-" + digest.prefix(8).lowercaseHex
        return PathName.appending(key + Self.suffixes[0], to: directory)
    }

    /// A temporary path beside `entry` to write it to, once the folder exists and can be written; `nil` (logged) otherwise.
    func temporary(for entry: String, caching path: String, logger: Logger) -> String? {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard access(directory, W_OK) == 0 else {
            logger.debug("\(Self.title): \(directory) is not writable; not caching \(path)")
            return nil
        }
        return entry + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    }

    /// Marks `entry` as just used (its modification time), for the size limit.
    func markUsed(_ entry: String) { utimensat(AT_FDCWD, entry, nil, 0) }

    /// Removes `entry` and the files that go with it.
    func remove(_ entry: String) {
        unlink(entry)
        for suffix in Self.suffixes.dropFirst() { unlink(entry + suffix) }
    }

    /// Removes the least recently used entries (never `kept`), with the files that go with them,
    /// while the entries take more than ``sizeLimit``.
    func prune(keeping kept: String, logger: Logger) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        var entries: [(path: String, size: Int, used: Int)] = []
        for name in names where name.hasSuffix(Self.suffixes[0]) {
            let path = PathName.appending(name, to: directory)
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            entries.append((path, Int(info.st_size), Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)))
        }
        var total = entries.reduce(0) { $0 + $1.size }
        for entry in entries.sorted(by: { $0.used < $1.used }) where total > sizeLimit && entry.path != kept {
            remove(entry.path)
            total -= entry.size
            logger.debug("\(Self.title): removed \(entry.path) (the cache is over \(sizeLimit >> 20) MiB)")
        }
    }

    /// `device:inode:size` of `path`: an entry replaced since its seal was checked (renamed into
    /// place, so a new inode) is checked again; the last-use time touched on each hit is not part of it.
    static func stamp(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "" }
        return "\(info.st_dev):\(info.st_ino):\(info.st_size)"
    }
}

/// The seals (SHA-256) this process has checked, by entry: a seal is checked once per process and
/// entry, so the instances of a model opened after the first skip reading the whole file again.
enum CheckedSeals {
    /// Entries by path and ``CacheFolder/stamp(_:)`` (device, inode, size): an entry renamed into
    /// place since is checked again.
    private static let checked = Mutex<Set<String>>([])

    /// Whether the entry at `path` is sound: `true` when its seal was checked before, else `verify()`'s answer (remembered when true).
    static func sound(_ path: String, stamp: String, verify: () -> Bool) -> Bool {
        let id = path + "|" + stamp
        if checked.withLock({ $0.contains(id) }) { return true }
        guard verify() else { return false }
        _ = checked.withLock { $0.insert(id) }
        return true
    }
}

extension Sequence<UInt8> {
    /// The bytes as lowercase hex digits, two per byte (digests in cache keys and entry names).
    var lowercaseHex: String { map { cFormat("%02x", $0) }.joined() }
}

/// Appends `bytes` to the file at `path` (created if missing) and flushes it to the disk; no
/// bytes only flushes. What a cache entry gets before it is renamed into place.
func appendFlushed(_ bytes: [UInt8], to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count && fsync(fd) == 0
}
