#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
public import LedgeRelease
public import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Where a packaged image goes.
public enum PackageDestination: Sendable {
    /// A file or folder at `path` in `format`; `tag` names the image inside.
    case output(path: String, format: ImageFormat, tag: String)
    /// A registry.
    case push(RegistryReference, insecure: Bool, credentials: RegistryCredentials?)
    /// A Docker build context (Dockerfile + files) in the folder `path`.
    case context(path: String)
}

/// Everything `ledge package` was asked for.
public struct PackageRequest: Sendable {
    public var models: [RepositoryLayout.Entry]
    public var platforms: [ReleasePlatform]
    /// The `ledge` executable per platform.
    public var binaries: [ReleasePlatform: String]
    /// Set-up's `platforms/` folder.
    public var platformsDirectory: String
    public var image: ImageOptions
    public var destination: PackageDestination
    /// Where to write the SBOMs when pushing (beside the output otherwise).
    public var sbomDirectory: String?
    /// Tries again of one registry request (or blob upload) that got a "later" answer or none.
    public var registryRetries = 3
    /// Runtimes besides the models' (``ReleaseRequest/extraRuntimes``); with none of the models, a
    /// server-only image.
    public var extraRuntimes: [String] = []

    public init(
        models: [RepositoryLayout.Entry], platforms: [ReleasePlatform], binaries: [ReleasePlatform: String],
        platformsDirectory: String, image: ImageOptions, destination: PackageDestination, sbomDirectory: String?
    ) {
        self.models = models
        self.platforms = platforms
        self.binaries = binaries
        self.platformsDirectory = platformsDirectory
        self.image = image
        self.destination = destination
        self.sbomDirectory = sbomDirectory
    }
}

/// What `ledge package` made (printed by `--json`).
public struct PackageResult: Sendable, Encodable {
    public struct Platform: Sendable, Encodable {
        public var platform: String
        public var manifestDigest: String
        public var compressedSize: Int
        public var layers: [BuiltLayer]
        public var binarySHA256: String
        public var runtimes: [String]
        public var debianPackages: [String]
        public var files: [String]
        public var sbom: String?
    }
    public var indexDigest: String
    public var destination: String
    public var platforms: [Platform]
    public var models: [ReleaseModel]
    /// Blobs uploaded and skipped (already in the registry), when pushing.
    public var uploadedBlobs: Int?
    public var skippedBlobs: Int?
    public var uploadedBytes: Int?
    /// Seconds spent pushing (authentication, blob checks and uploads, manifests).
    public var pushSeconds: Double?
}

/// `ledge package`: release bundles → OCI image → a layout, an archive or a registry.
/// Output appears only when complete: the work happens in a staging folder beside
/// it, renamed into place at the end and removed on any failure.
public enum Packager {
    public static func run(_ request: PackageRequest, logger: Logger, progress: Progress) async throws -> PackageResult {
        guard !request.models.isEmpty || !request.extraRuntimes.isEmpty else {
            throw LedgeError.usage(
                "no models to package: pass -m MODEL, --model-uri URI or --model-repository DIR (or --runtime KIND for a server alone)")
        }
        guard !request.platforms.isEmpty else { throw LedgeError.usage("no platform: pass --platform linux/amd64,linux/arm64") }
        try checkDestination(request)
        let stage = try makeStage(near: request.destination)
        defer { try? FileManager.default.removeItem(atPath: stage) }
        try FileManager.default.createDirectory(atPath: stage + "/scratch", withIntermediateDirectories: true)

        var bundles: [ReleaseBundle] = []
        for platform in request.platforms {
            guard let binary = request.binaries[platform] else {
                throw LedgeError.usage("no ledge binary for \(platform): pass --binary \(platform)=PATH (built on a \(platform) machine)")
            }
            var release = ReleaseRequest(
                platform: platform, binary: binary, models: request.models, platformsDirectory: request.platformsDirectory,
                scratchDirectory: stage + "/scratch", metadata: request.image.metadata)
            release.extraRuntimes = request.extraRuntimes
            bundles.append(try ReleaseBundle.build(release, logger: logger))
        }
        if case .context(let path) = request.destination {
            try BuildContext.write(bundles, options: request.image, to: stage + "/context")
            try replace(path, with: stage + "/context", stage: stage)
            return PackageResult(
                indexDigest: "", destination: path,
                platforms: bundles.map {
                    PackageResult.Platform(
                        platform: $0.platform.description, manifestDigest: "", compressedSize: 0, layers: [], binarySHA256: $0.binarySHA256,
                        runtimes: $0.runtimes.map { "\($0.name) \($0.version)" }, debianPackages: $0.packages.map { "\($0.name) \($0.version)" },
                        files: $0.files.map { "/" + $0.path }, sbom: nil)
                }, models: bundles.first?.models ?? [])
        }
        progress.expect(bundles.reduce(0) { $0 + Set($1.files.map(\.layer)).count })
        let store = try BlobStore(root: stage + "/layout")
        let image = try await ImageBuilder.build(bundles, options: request.image, store: store, progress: progress)

        var result = PackageResult(
            indexDigest: image.digest, destination: "", platforms: [], models: bundles.first?.models ?? [])
        var sbomBase: String?
        switch request.destination {
        case .output(let path, let format, let tag):
            result.destination = path
            try await write(image, to: path, format: format, tag: tag, stage: stage, progress: progress)
            sbomBase = request.sbomDirectory.map { $0 + "/" + fileName(of: path) } ?? path
        case .push(let reference, let insecure, let credentials):
            result.destination = reference.description
            let pushStarted = ContinuousClock.now
            defer { result.pushSeconds = (ContinuousClock.now - pushStarted) / .seconds(1) }
            let client = try RegistryClient(
                registry: reference.registry, repository: reference.repository, insecure: insecure, credentials: credentials,
                retries: request.registryRetries, logger: logger)
            let counts = try await ImagePusher.push(image, to: client, tag: reference.tag, progress: progress)
            result.uploadedBlobs = counts.uploaded
            result.skippedBlobs = counts.skipped
            result.uploadedBytes = counts.uploadedBytes
            let name = (reference.repository.split(separator: "/").last.map(String.init) ?? "image") + "-" + reference.tag
            sbomBase = request.sbomDirectory.map { $0 + "/" + name }
        case .context:
            break
        }
        for built in image.platforms {
            var sbom: String?
            if let base = sbomBase {
                sbom = base + ".\(built.platform.fileName).spdx.json"
                try atomicWrite(built.bundle.sbom, to: sbom!)
            }
            result.platforms.append(
                PackageResult.Platform(
                    platform: built.platform.description, manifestDigest: built.digest, compressedSize: built.compressedSize,
                    layers: built.layers, binarySHA256: built.bundle.binarySHA256,
                    runtimes: built.bundle.runtimes.map { "\($0.name) \($0.version)" },
                    debianPackages: built.bundle.packages.map { "\($0.name) \($0.version)" },
                    files: built.bundle.files.map { "/" + $0.path }, sbom: sbom))
        }
        return result
    }

    private static func write(
        _ image: BuiltImage, to path: String, format: ImageFormat, tag: String, stage: String, progress: Progress
    ) async throws {
        let shortTag = tag.split(separator: ":").last.map(String.init) ?? tag
        try ImageOutput.finishLayout(image, tag: shortTag)
        switch format {
        case .oci:
            try replace(path, with: image.store.root, stage: stage)
        case .ociArchive, .dockerArchive:
            if format == .dockerArchive { try ImageOutput.addDockerManifest(image, repositoryTag: tag.contains(":") ? tag : tag + ":latest") }
            progress.step("writing \(path)")
            try ImageOutput.archive(root: image.store.root, to: stage + "/image.tar", mtime: 0)
            try replace(path, with: stage + "/image.tar", stage: stage)
        }
    }

    /// Refuses, before any work, an output that would replace what is not an earlier output of its
    /// kind (someone's folder, a file where a layout goes) or hold an input, and a missing SBOM folder.
    private static func checkDestination(_ request: PackageRequest) throws {
        let inputs = request.models.flatMap { [$0.model] + ($0.labels.map { [$0] } ?? []) } + request.binaries.values
        switch request.destination {
        case .output(let path, let format, _):
            let layout = format == .oci
            try OutputPlace.check(
                path, layout ? .folder(earlier: ImageOutput.isLayout) : .file, what: layout ? "OCI layout" : "image archive", option: "-o",
                inputs: inputs)
        case .context(let path):
            try OutputPlace.check(path, .folder(earlier: BuildContext.isContext), what: "build context", option: "--context", inputs: inputs)
        case .push:
            break
        }
        if let folder = request.sbomDirectory, !PathName.isDirectory(folder) {
            throw LedgeError.usage("--sbom-dir \(folder): folder not found")
        }
    }

    /// Puts `source` at `path` by rename; an existing `path` is moved aside first and removed after.
    private static func replace(_ path: String, with source: String, stage: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            try fm.moveItem(atPath: path, toPath: stage + "/previous")
        }
        do {
            try fm.moveItem(atPath: source, toPath: path)
        } catch {
            if fm.fileExists(atPath: stage + "/previous") { try? fm.moveItem(atPath: stage + "/previous", toPath: path) }
            throw LedgeError.invalidInput("cannot write \(path): \(error)")
        }
    }

    private static func atomicWrite(_ bytes: [UInt8], to path: String) throws {
        try ImageOutput.write(bytes, to: path + ".tmp")
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
    }

    /// A fresh folder on the output's file system (so the final rename is atomic), or in the temp folder.
    private static func makeStage(near destination: PackageDestination) throws -> String {
        var folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let target: String?
        switch destination {
        case .output(let path, _, _), .context(let path): target = path
        case .push: target = nil
        }
        if let path = target {
            folder = parent(of: path)
            guard (try? FileManager.default.contentsOfDirectory(atPath: folder)) != nil else {
                throw LedgeError.usage("output folder '\(folder)' does not exist (for -o \(path))")
            }
        }
        var template = Array((folder + "/.ledge-package-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw LedgeError.invalidInput("cannot create a staging folder in \(folder)") }
        return String(cString: made)
    }

    static func parent(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    static func fileName(of path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }
}
