#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
internal import LedgeRelease

/// Where `ledge package -o` writes an image.
public enum ImageFormat: String, Sendable, CaseIterable {
    /// An OCI image layout folder.
    case oci
    /// A tar of an OCI image layout.
    case ociArchive = "oci-archive"
    /// A tar `docker load` accepts (one platform), which is also an OCI layout.
    case dockerArchive = "docker-archive"
}

/// Writes a built image as a layout folder or an archive.
enum ImageOutput {
    /// Whether a folder of these names is an OCI layout as `-o` writes one (it may be replaced).
    @Sendable static func isLayout(_ names: [String]) -> Bool {
        names.contains("oci-layout") && names.allSatisfy { ["oci-layout", "index.json", "blobs"].contains($0) }
    }

    /// Finishes the layout in `store.root`: `oci-layout` and `index.json` naming the image index by `tag`.
    static func finishLayout(_ image: BuiltImage, tag: String) throws {
        var descriptor = image.index
        descriptor.annotations = ["org.opencontainers.image.ref.name": tag]
        let index = ImageIndex(manifests: [descriptor])
        try write(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: image.store.root + "/oci-layout")
        try write(try CanonicalJSON.encode(index), to: image.store.root + "/index.json")
    }

    /// A docker-archive: docker's `manifest.json` beside the OCI layout (as Docker 25+ writes it).
    static func addDockerManifest(_ image: BuiltImage, repositoryTag: String) throws {
        guard image.platforms.count == 1, let platform = image.platforms.first else {
            throw LedgeError.usage(
                "docker-archive holds one platform, \(image.platforms.count) were requested: pass one --platform or use --format oci-archive")
        }
        struct Entry: Encodable {
            var Config: String
            var RepoTags: [String]
            var Layers: [String]
        }
        func blob(_ digest: String) -> String { "blobs/sha256/" + digest.dropFirst("sha256:".count) }
        let entry = Entry(Config: blob(platform.config.digest), RepoTags: [repositoryTag], Layers: platform.layers.map { blob($0.digest) })
        try write(try CanonicalJSON.encode([entry]), to: image.store.root + "/manifest.json")
    }

    /// A tar of the layout folder `root`, written to `path`.
    static func archive(root: String, to path: String, mtime: Int64) throws {
        var tar = TarWriter(mtime: mtime)
        let top = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0 != "blobs" }.sorted()
        for name in top {
            tar.append(name: name, kind: .file, mode: 0o644, owner: 0, contents: try bytes(root + "/" + name))
        }
        let store = try BlobStore(root: root)
        tar.append(name: "blobs", kind: .directory, mode: 0o755, owner: 0)
        tar.append(name: "blobs/sha256", kind: .directory, mode: 0o755, owner: 0)
        for blob in try store.allBlobs() {
            tar.append(name: "blobs/sha256/" + blob, kind: .file, mode: 0o644, owner: 0, contents: try bytes(root + "/blobs/sha256/" + blob))
        }
        tar.finish()
        try write(tar.bytes, to: path)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw LedgeError.invalidInput("cannot write \(path)")
        }
    }

    private static func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LedgeError.invalidInput("cannot read \(path)") }
        return Array(data)
    }
}
