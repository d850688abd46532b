#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore
public import Logging

/// What a release is made of, for one platform.
public struct ReleaseRequest: Sendable {
    public var platform: ReleasePlatform
    /// The `ledge` executable for this platform.
    public var binary: String
    /// The models, by name.
    public var models: [RepositoryLayout.Entry]
    /// The folder with `linux-ARCH/platform.json` (set-up's `platforms/`).
    public var platformsDirectory: String
    /// A folder for the stripped copy of the binary.
    public var scratchDirectory: String
    /// Names the release in the SBOM.
    public var metadata: ReleaseMetadata
    /// Runtimes to include besides those the models need (`onnxruntime`, `litert`): for models
    /// the server fetches when it starts (`--model-uri`, an `s3://` repository). Without models
    /// the release is a server alone.
    public var extraRuntimes: [String] = []

    public init(
        platform: ReleasePlatform, binary: String, models: [RepositoryLayout.Entry], platformsDirectory: String,
        scratchDirectory: String, metadata: ReleaseMetadata
    ) {
        self.platform = platform
        self.binary = binary
        self.models = models
        self.platformsDirectory = platformsDirectory
        self.scratchDirectory = scratchDirectory
        self.metadata = metadata
    }
}

/// Title, version, time and source of a release: the SBOM's and the image's metadata.
public struct ReleaseMetadata: Sendable, Hashable {
    public var title: String
    public var version: String
    /// Seconds since 1970 (`SOURCE_DATE_EPOCH` when set).
    public var created: Int64
    public var source: String
    public var revision: String
    public var description: String

    public init(title: String, version: String, created: Int64, source: String, revision: String, description: String) {
        self.title = title
        self.version = version
        self.created = created
        self.source = source
        self.revision = revision
        self.description = description
    }

    /// `created` as RFC 3339 UTC (`2026-12-02T05:55:05Z`).
    public var createdRFC3339: String { RFC3339.format(created) }
}

extension ReleaseBundle {
    /// Builds the file set for `request.platform`. Errors: a missing or wrong-architecture
    /// binary or library (``LedgeError/Code/invalidInput``), a model no runtime of the
    /// platform serves (``LedgeError/Code/runtimeUnavailable``), a missing model
    /// (``LedgeError/Code/invalidModel``).
    public static func build(_ request: ReleaseRequest, logger: Logger) throws -> ReleaseBundle {
        let inputs = try PlatformInputs(platform: request.platform, platformsDirectory: request.platformsDirectory)
        var collector = FileCollector(inputs: inputs)

        var runtimes: [PlatformInputs.Runtime] = []
        var models: [ReleaseModel] = []
        for entry in request.models {
            let data = try CheckedFile.read(entry.model, kind: "model", expected: "a .tflite or .onnx file", code: .invalidModel)
            let format = try ModelFile.detect(data, path: entry.model)
            let kind = format == .tflite ? "litert" : "onnxruntime"
            guard let runtime = inputs.runtime(kind) else {
                throw LedgeError.runtimeUnavailable(
                    "model '\(entry.name)' (\(entry.model)) needs \(PlatformInputs.Runtime.displayName(kind)), "
                        + "which has no library for \(request.platform) in \(inputs.directory)")
            }
            if !runtimes.contains(runtime) { runtimes.append(runtime) }
            let ext = format == .tflite ? "tflite" : "onnx"
            let path = "models/\(entry.name)/model.\(ext)"
            collector.add(ReleaseFile(path: path, content: .file(entry.model), mode: 0o644, layer: .models))
            if let labels = entry.labels {
                collector.add(ReleaseFile(path: "models/\(entry.name)/labels.txt", content: .file(labels), mode: 0o644, layer: .models))
            }
            // A Hugging Face export's config.json and preprocessor_config.json: the model's labels and image recipe.
            for (name, file) in ModelSidecar.files(besides: entry.model).sorted(by: { $0.key < $1.key }) {
                collector.add(ReleaseFile(path: "models/\(entry.name)/\(name)", content: .file(file), mode: 0o644, layer: .models))
            }
            models.append(
                ReleaseModel(
                    name: entry.name, format: ext, sha256: ContentDigest.sha256(data), size: data.count, runtime: kind,
                    runtimeVersion: runtime.version, path: path))
        }
        for kind in request.extraRuntimes where !runtimes.contains(where: { $0.kind == kind }) {
            guard let runtime = inputs.runtime(kind) else {
                throw LedgeError.runtimeUnavailable(
                    "--runtime \(kind): \(PlatformInputs.Runtime.displayName(kind)) has no library for \(request.platform) in \(inputs.directory)")
            }
            runtimes.append(runtime)
        }
        guard !runtimes.isEmpty else {
            throw LedgeError.usage("nothing to serve: give models, or --runtime for models fetched when the server starts")
        }
        runtimes.sort { $0.kind < $1.kind }

        let binary = try strippedBinary(request, logger: logger)
        let binaryELF = try ELFFile(path: binary, what: "binary for \(request.platform)")
        try check(binaryELF, path: request.binary, what: "binary for \(request.platform)", platform: request.platform)
        collector.add(ReleaseFile(path: "usr/bin/ledge", content: .file(binary), mode: 0o755, layer: .application))
        // A dynamically linked ledge (a debug build) brings the Swift runtime its RUNPATH names,
        // when that folder is on this machine; release builds link it statically.
        let origin = String(request.binary[..<(request.binary.lastIndex(of: "/") ?? request.binary.startIndex)])
        collector.hostLibraryFolders = binaryELF.runpath.map { $0.replacing("$ORIGIN", with: origin) }
        var needed = binaryELF.needed
        if let interpreter = binaryELF.interpreter {
            try collector.addFromRoot(String(interpreter.drop { $0 == "/" }), layer: .system, what: "the dynamic loader \(interpreter)")
        }
        for runtime in runtimes {
            let library = inputs.directory + "/" + runtime.library
            let elf = try ELFFile(path: library, what: "\(runtime.name) library for \(request.platform)")
            try check(elf, path: library, what: "\(runtime.name) library", platform: request.platform)
            let name = String(runtime.library.split(separator: "/").last ?? "")
            collector.add(
                ReleaseFile(path: libraryDirectory + "/" + name, content: .file(library), mode: 0o755, layer: .system))
            needed += elf.needed
        }
        try collector.addLibraries(needed)
        collector.addSystemFiles()
        try collector.addFromRoot(caCertificatesPath, layer: .system, what: "the CA certificates")

        let binaryDigest = try ContentDigest.sha256(file: binary).digest
        let packages = collector.packages.sorted { $0.name < $1.name }
        let hostLibraries = collector.hostLibraries.sorted()
        for package in packages {
            try collector.addFromRoot(package.copyright, layer: .system, what: "copyright file of \(package.name)")
        }
        let sbom = SPDXDocument(
            platform: request.platform, metadata: request.metadata, packages: packages, runtimes: runtimes,
            models: models, binarySHA256: binaryDigest, debian: (inputs.debianRelease, inputs.debianCodename),
            hostLibraries: hostLibraries
        ).json()
        collector.add(ReleaseFile(path: sbomPath, content: .bytes(sbom), mode: 0o644, layer: .models))
        let files = collector.sortedFiles()
        // Every ELF file of the platform is of its machine (the loader, libraries and binary alike).
        for file in files {
            guard case .file(let source) = file.content, ELFFile.isELF(path: source) else { continue }
            try check(try ELFFile(path: source, what: "/\(file.path)"), path: source, what: "/\(file.path)", platform: request.platform)
        }
        return ReleaseBundle(
            platform: request.platform, files: files, models: models, runtimes: runtimes, packages: packages,
            binarySHA256: binaryDigest, sbom: sbom)
    }

    private static func check(_ elf: ELFFile, path: String, what: String, platform: ReleasePlatform) throws {
        guard elf.machine == platform.elfMachine else {
            throw LedgeError.invalidInput(
                "\(what) '\(path)' is an \(elf.machine) ELF file, expected \(platform.elfMachine) for \(platform)")
        }
    }

    /// The binary itself when it has no symbols; else a stripped copy in the scratch folder.
    private static func strippedBinary(_ request: ReleaseRequest, logger: Logger) throws -> String {
        guard ELFFile.isELF(path: request.binary) else {
            if CheckedFile.problem(at: request.binary) != nil {
                throw LedgeError.invalidInput("binary for \(request.platform) not found: \(request.binary)")
            }
            throw LedgeError.invalidInput("binary for \(request.platform) '\(request.binary)' is not an ELF executable")
        }
        let elf = try ELFFile(path: request.binary, what: "binary for \(request.platform)")
        try check(elf, path: request.binary, what: "binary for \(request.platform)", platform: request.platform)
        guard elf.hasSymbols else { return request.binary }
        let tools = ["llvm-objcopy", "llvm-strip", "\(request.platform.triplet)-strip", "strip"]
        guard let tool = Spawn.find(tools, extra: ["/opt/swift/usr/bin"]) else {
            logger.warning("no strip tool found (\(tools.joined(separator: ", "))): packaging \(request.binary) with its symbols")
            return request.binary
        }
        let output = request.scratchDirectory + "/ledge-\(request.platform.fileName)"
        let arguments =
            tool.hasSuffix("objcopy") ? ["--strip-all", request.binary, output] : ["--strip-all", "-o", output, request.binary]
        let status = Spawn.run(tool, arguments)
        guard status == 0, (try? ELFFile(path: output, what: "stripped binary"))?.hasSymbols == false else {
            logger.warning("\(tool) failed on \(request.binary): packaging it with its symbols")
            return request.binary
        }
        logger.debug("stripped \(request.binary) with \(tool)")
        return output
    }
}
