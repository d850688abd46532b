#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeRelease

/// Content-addressed blobs in an OCI image layout folder (`blobs/sha256/HEX`).
struct BlobStore: Sendable {
    /// The layout's root folder.
    let root: String

    init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
    }

    /// Stores `bytes` (once) and describes them.
    func put(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let digest = "sha256:" + ContentDigest.sha256(bytes)
        let path = self.path(of: digest)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path + ".tmp", contents: Data(bytes)) else {
                throw LedgeError.invalidInput("cannot write \(path).tmp")
            }
            try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: bytes.count)
    }

    /// The file of `digest` (`sha256:HEX`).
    func path(of digest: String) -> String { root + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }

    /// The bytes of `digest`.
    func read(_ digest: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(of: digest)) else {
            throw LedgeError.invalidInput("blob \(digest) missing from \(root)")
        }
        return Array(data)
    }

    /// Every blob's file name, sorted.
    func allBlobs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/blobs/sha256").filter { !$0.hasSuffix(".tmp") }.sorted()
    }
}

/// JSON the way OCI blobs are hashed: keys sorted, no insignificant spaces, slashes unescaped.
enum CanonicalJSON {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
