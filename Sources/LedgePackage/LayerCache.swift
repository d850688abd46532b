#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeRelease

/// Compressed layers kept between runs, keyed by the uncompressed tar's digest and the
/// gzip level: packaging unchanged inputs again (a re-push, another output format) skips
/// the compression, which is most of the work. Entries are checked against their digest
/// when read; the oldest beyond ``limit`` are removed.
struct LayerCache: Sendable {
    let directory: String
    var limit = 24

    /// The gzip bytes of the tar with `diffID` at `level`, if cached and intact.
    func lookup(diffID: String, level: Int32) -> [UInt8]? {
        let path = file(diffID: diffID, level: level)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = Array(data)
        let name = String(path.split(separator: "/").last ?? "")
        guard name.hasSuffix("-" + ContentDigest.sha256(bytes) + ".gz") else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return bytes
    }

    /// Keeps `gzip` for `diffID` at `level` (best effort: a cache that cannot be written is skipped).
    func store(diffID: String, level: Int32, gzip: [UInt8]) {
        let fm = FileManager.default
        guard (try? fm.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil else { return }
        let base = key(diffID: diffID, level: level)
        for stale in (try? fm.contentsOfDirectory(atPath: directory))?.filter({ $0.hasPrefix(base) }) ?? [] {
            try? fm.removeItem(atPath: directory + "/" + stale)
        }
        let path = directory + "/\(base)-\(ContentDigest.sha256(gzip)).gz"
        guard fm.createFile(atPath: path + ".tmp", contents: Data(gzip)) else { return }
        try? fm.moveItem(atPath: path + ".tmp", toPath: path)
        prune()
    }

    private func key(diffID: String, level: Int32) -> String {
        String(diffID.dropFirst("sha256:".count).prefix(32)) + "-\(level)"
    }

    private func file(diffID: String, level: Int32) -> String {
        let base = key(diffID: diffID, level: level)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return directory + "/" + (names.first { $0.hasPrefix(base + "-") && $0.hasSuffix(".gz") } ?? base)
    }

    private func prune() {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".gz") }
        guard names.count > limit else { return }
        let dated = names.map { name -> (String, Date) in
            let date = (try? fm.attributesOfItem(atPath: directory + "/" + name))?[.modificationDate] as? Date
            return (name, date ?? .distantPast)
        }
        for (name, _) in dated.sorted(by: { $0.1 < $1.1 }).prefix(names.count - limit) {
            try? fm.removeItem(atPath: directory + "/" + name)
        }
    }
}
