#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCompression
public import LedgeCore
public import LedgeRelease

/// How images are labelled and compressed.
public struct ImageOptions: Sendable {
    /// Title, version, created, source, revision, description.
    public var metadata: ReleaseMetadata
    /// Extra config labels and annotations (`--label KEY=VALUE`).
    public var labels: [String: String]
    /// gzip level of the layers (1–9).
    public var compressionLevel: Int32
    /// Where compressed layers are kept between runs (`nil`: not kept).
    public var cacheDirectory: String?

    public init(metadata: ReleaseMetadata, labels: [String: String] = [:], compressionLevel: Int32 = 9, cacheDirectory: String? = nil) {
        self.metadata = metadata
        self.labels = labels
        self.compressionLevel = compressionLevel
        self.cacheDirectory = cacheDirectory
    }
}

/// A layer as built: its digest (compressed) and diff id (uncompressed).
public struct BuiltLayer: Sendable, Codable {
    public var name: String
    public var digest: String
    public var size: Int
    public var diffID: String
    public var uncompressedSize: Int
    public var files: Int
}

/// One platform's image as built.
public struct BuiltPlatformImage: Sendable {
    public var platform: ReleasePlatform
    public var bundle: ReleaseBundle
    var manifest: Descriptor
    var config: Descriptor
    public var layers: [BuiltLayer]
    /// The manifest's digest.
    public var digest: String { manifest.digest }
    /// Config + layers, compressed: what a pull downloads.
    public var compressedSize: Int { config.size + layers.reduce(0) { $0 + $1.size } }
}

/// A multi-platform image in a blob store: the index and each platform's manifest.
public struct BuiltImage: Sendable {
    var index: Descriptor
    public var platforms: [BuiltPlatformImage]
    let store: BlobStore
    /// The image index's digest.
    public var digest: String { index.digest }
}

/// Turns release bundles into OCI images: three layers per platform (system,
/// application, models), a config and manifest each, one index over all.
enum ImageBuilder {
    static func build(
        _ bundles: [ReleaseBundle], options: ImageOptions, store: BlobStore, progress: Progress
    ) async throws -> BuiltImage {
        let platforms = try await withThrowingTaskGroup(of: BuiltPlatformImage.self) { group in
            for bundle in bundles {
                group.addTask { try platformImage(bundle, options: options, store: store, progress: progress) }
            }
            var built: [BuiltPlatformImage] = []
            for try await image in group { built.append(image) }
            return built.sorted { $0.platform < $1.platform }
        }
        let annotations = imageAnnotations(options.metadata, labels: options.labels)
        let index = ImageIndex(
            manifests: platforms.map {
                var descriptor = $0.manifest
                descriptor.platform = .init(architecture: $0.platform.architecture, os: "linux", variant: $0.platform.variant)
                return descriptor
            }, annotations: annotations)
        let indexDescriptor = try store.put(try CanonicalJSON.encode(index), mediaType: MediaType.index)
        return BuiltImage(index: indexDescriptor, platforms: platforms, store: store)
    }

    static func imageAnnotations(_ metadata: ReleaseMetadata, labels: [String: String]) -> [String: String] {
        var annotations = labels
        let prefix = "org.opencontainers.image."
        annotations[prefix + "title"] = metadata.title
        annotations[prefix + "version"] = metadata.version
        annotations[prefix + "created"] = metadata.createdRFC3339
        annotations[prefix + "description"] = metadata.description
        if !metadata.revision.isEmpty { annotations[prefix + "revision"] = metadata.revision }
        if !metadata.source.isEmpty { annotations[prefix + "source"] = metadata.source }
        return annotations
    }

    private static func platformImage(
        _ bundle: ReleaseBundle, options: ImageOptions, store: BlobStore, progress: Progress
    ) throws -> BuiltPlatformImage {
        let mtime = options.metadata.created
        var layers: [BuiltLayer] = []
        for layer in ReleaseFile.Layer.allCases {
            let files = bundle.files(in: layer)
            if files.isEmpty { continue }
            progress.step("compressing \(bundle.platform) \(layer.name) layer")
            let tar = try LayerTar.make(files, mtime: mtime)
            let diffID = "sha256:" + ContentDigest.sha256(tar.bytes)
            let cache = options.cacheDirectory.map { LayerCache(directory: $0) }
            let gz: [UInt8]
            if let cached = cache?.lookup(diffID: diffID, level: options.compressionLevel) {
                gz = cached
            } else {
                gz = try Deflater.compress(tar.bytes, level: options.compressionLevel)
                cache?.store(diffID: diffID, level: options.compressionLevel, gzip: gz)
            }
            let descriptor = try store.put(gz, mediaType: MediaType.layerGzip)
            layers.append(
                BuiltLayer(
                    name: layer.name, digest: descriptor.digest, size: descriptor.size, diffID: diffID,
                    uncompressedSize: tar.bytes.count, files: tar.entries))
        }
        var labels = imageAnnotations(options.metadata, labels: options.labels)
        for model in bundle.models {
            let prefix = "dev.ledge.model.\(model.name)."
            labels[prefix + "format"] = model.format
            labels[prefix + "sha256"] = model.sha256
            labels[prefix + "runtime"] = model.runtime
            labels[prefix + "runtime-version"] = model.runtimeVersion
        }
        let created = options.metadata.createdRFC3339
        let config = ImageConfig(
            created: created, architecture: bundle.platform.architecture, variant: bundle.platform.variant,
            config: .init(
                User: "\(ReleaseBundle.userID):\(ReleaseBundle.userID)", Entrypoint: bundle.entrypoint, Env: bundle.environment,
                WorkingDir: bundle.workingDirectory, ExposedPorts: ["\(ReleaseBundle.port)/tcp": [:], "\(ReleaseBundle.grpcPort)/tcp": [:]],
                Labels: labels),
            rootfs: .init(diff_ids: layers.map(\.diffID)),
            history: layers.map {
                .init(created: created, created_by: "ledge package \(LedgeVersion.current)", comment: "\($0.name) layer")
            })
        let configDescriptor = try store.put(try CanonicalJSON.encode(config), mediaType: MediaType.config)
        let manifest = ImageManifest(
            config: configDescriptor,
            layers: layers.map { Descriptor(mediaType: MediaType.layerGzip, digest: $0.digest, size: $0.size) },
            annotations: imageAnnotations(options.metadata, labels: options.labels))
        let manifestDescriptor = try store.put(try CanonicalJSON.encode(manifest), mediaType: MediaType.manifest)
        return BuiltPlatformImage(
            platform: bundle.platform, bundle: bundle, manifest: manifestDescriptor, config: configDescriptor, layers: layers)
    }
}

/// A layer's tar: the entries of one layer plus the folders above them.
enum LayerTar {
    static func make(_ files: [ReleaseFile], mtime: Int64) throws -> (bytes: [UInt8], entries: Int) {
        var entries: [String: ReleaseFile] = [:]
        for file in files {
            entries[file.path] = file
            var parts = file.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                let parent = parts.joined(separator: "/")
                if entries[parent] == nil {
                    entries[parent] = ReleaseFile(path: parent, content: .directory, mode: 0o755, layer: file.layer)
                }
                parts = parts.dropLast()
            }
        }
        var tar = TarWriter(mtime: mtime)
        let sorted = entries.values.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        for file in sorted {
            switch file.content {
            case .directory:
                tar.append(name: file.path, kind: .directory, mode: file.mode, owner: file.owner)
            case .symlink(let target):
                tar.append(name: file.path, kind: .symlink, mode: 0o777, owner: file.owner, link: target)
            case .bytes(let bytes):
                tar.append(name: file.path, kind: .file, mode: file.mode, owner: file.owner, contents: bytes)
            case .file(let source):
                guard let data = FileManager.default.contents(atPath: source) else {
                    throw LedgeError.invalidInput("cannot read \(source)")
                }
                tar.append(name: file.path, kind: .file, mode: file.mode, owner: file.owner, contents: Array(data))
            }
        }
        tar.finish()
        return (tar.bytes, sorted.count)
    }
}
