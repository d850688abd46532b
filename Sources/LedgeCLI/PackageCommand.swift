internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#endif
internal import LedgeCore
internal import LedgePackage
internal import LedgeRelease
internal import Logging

/// `ledge package`: the models and the server as an OCI image for amd64 and arm64,
/// written as a layout or archive, or pushed to a registry — no Docker daemon.
struct PackageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Build an OCI image of models + ledge serve for linux/amd64 and linux/arm64, without Docker.",
        discussion: """
            The image runs 'ledge serve --model-repository /models --host 0.0.0.0 --port 8000' as uid 65532, \
            with only the runtime libraries its models need and their Debian libraries (set up by 'make setup' \
            under .ledge/platforms, or --platforms DIR). An SPDX 2.3 SBOM per platform is at \
            /usr/share/ledge/sbom.spdx.json in the image and written beside -o (or into --sbom-dir). \
            Identical inputs give identical digests; the time stamp is SOURCE_DATE_EPOCH, else 0. \
            A platform other than this machine's needs --binary PLATFORM=PATH: a ledge built on that platform. \
            Registry credentials: --registry-user with --registry-password-stdin, or LEDGE_REGISTRY_USER and \
            LEDGE_REGISTRY_PASSWORD, or the auths of ~/.docker/config.json.
            """)

    @OptionGroup(title: "Models") var models: ModelOptions

    @OptionGroup(title: "Model URIs") var modelURIs: ModelURIOptions

    @Option(
        name: .customLong("runtime"),
        help: ArgumentHelp(
            "Also include this runtime: litert, onnxruntime (comma-separated or repeated). Without models, an image of the server alone, for models fetched when it starts: its arguments add --model-uri URI or --model-repository s3://BUCKET/PREFIX.",
            valueName: "kind"),
        transform: CommaSeparated<String>.parser(expected: "litert and/or onnxruntime", where: { PlatformInputs.Runtime.kinds.contains($0) }))
    var runtime: [CommaSeparated<String>] = []

    @OptionGroup(title: "Platform inputs") var inputs: ReleaseInputOptions

    @Option(
        help: "Platforms, comma-separated: linux/amd64, linux/arm64 (default: this machine's).",
        transform: CommaSeparated<String>.parser(expected: "linux/amd64 and/or linux/arm64").self)
    var platform = CommaSeparated<String>([ReleasePlatform.host?.description ?? "linux/amd64"])

    @Option(name: .shortAndLong, help: "Write the image here (a folder for --format oci, else a tar file).")
    var output: String?

    @Option(help: "What -o writes: oci (layout folder), oci-archive or docker-archive (one platform; docker load reads it).")
    var format = ImageFormatOption.oci

    @Option(help: "Push to REGISTRY/REPOSITORY:TAG instead of writing a file.")
    var push: String?

    @Option(help: "Write a Docker build context (Dockerfile + the same files) to this folder instead.")
    var context: String?

    @Flag(name: .customLong("insecure-registry"), help: "Talk plain HTTP to the registry (loopback and test registries only).")
    var insecureRegistry = false

    @Option(name: .customLong("registry-user"), help: "The registry user (the password is read from stdin).")
    var registryUser: String?

    @Flag(name: .customLong("registry-password-stdin"), help: "Read the registry password from stdin.")
    var registryPasswordStdin = false

    @Option(
        name: .customLong("registry-retries"),
        help: "Tries again of a registry request that got 408, 429, 500, 502, 503, 504 or no answer, 0-10 (after Retry-After or 1, 2, 4 s).")
    var registryRetries = 3

    @Option(help: "NAME:TAG of the image inside -o (default: ledge-MODEL:VERSION).")
    var tag: String?

    @Option(help: "A label and annotation KEY=VALUE; repeatable.")
    var label: [String] = []

    @Option(help: "The image's version (org.opencontainers.image.version; default: ledge's version).")
    var version: String?

    @Option(name: .customLong("sbom-dir"), help: "Write the SBOMs (SPDX JSON) here.")
    var sbomDir: String?

    @Option(name: .customLong("compression-level"), help: "gzip level of the layers, 1-9.")
    var compressionLevel: Int32 = 9

    @Flag(name: .customLong("no-cache"), help: "Compress every layer anew (compressed layers are otherwise kept in ~/.cache/ledge/layers).")
    var noCache = false

    @Flag(help: "Print the result as JSON (digests, sizes, files per platform).")
    var json = false

    @Flag(name: .shortAndLong, help: "Log what is done.")
    var verbose = false

    func validate() throws {
        if models.isEmpty && modelURIs.isEmpty && runtime.isEmpty {
            throw ValidationError("give --model PATH (repeatable), --model-uri URI, --model-repository DIR, or --runtime KIND for a server alone")
        }
        try modelURIs.checkAlone(with: models)
        if [output, push, context].compactMap({ $0 }).count != 1 {
            throw ValidationError("give one of -o PATH, --push REGISTRY/REPOSITORY:TAG or --context DIR")
        }
        if !(1...9).contains(compressionLevel) { throw ValidationError("--compression-level must be between 1 and 9, got \(compressionLevel)") }
        if registryPasswordStdin && registryUser == nil { throw ValidationError("--registry-password-stdin needs --registry-user") }
        if !(0...10).contains(registryRetries) { throw ValidationError("--registry-retries must be between 0 and 10, got \(registryRetries)") }
    }

    /// The NAME:TAG the image gets inside `-o`: `--tag`, else `TITLE:VERSION` (the title lowercased,
    /// as repository names are); either must be a valid image reference, as Docker and registries read one.
    static func imageTag(_ tag: String?, title: String, version: String) throws -> String {
        let text = tag ?? "\(title.lowercased()):\(version)"
        do {
            _ = try RegistryReference(parsing: text)
        } catch {
            if let tag {
                throw LedgeError.usage(
                    "--tag '\(tag)': expected NAME:TAG with a lowercase name and a tag of letters, digits, '_', '.' and '-' (at most 128)")
            }
            throw LedgeError.usage(
                "the default tag '\(text)' is not a valid image reference (from the model name and --version '\(version)'): give --tag NAME:TAG")
        }
        return text
    }

    func run() async throws {
        let logger = Logger(label: "ledge.package") { _ in ConsoleLogHandler(logLevel: verbose ? .debug : .warning) }
        let fetched = try await modelURIs.modelFiles(logger: logger)
        let request = try makeRequest(fetched: fetched)
        let bar = ProgressBar(enabled: !json && isatty(STDERR_FILENO) != 0)
        let started = ContinuousClock.now
        let result = try await Packager.run(request, logger: logger, progress: Progress(sink: bar.draw))
        bar.finish()
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(PackageText.render(result, seconds: seconds))
        }
    }

    private func makeRequest(fetched: [(path: String, name: String?)]) throws -> PackageRequest {
        let entries = try modelURIs.entries(with: models, fetched: fetched)
        let extraRuntimes = runtime.flatMap(\.values)
        let platforms = try platform.values.map(ReleasePlatform.init(parsing:))
        let binaries = try inputs.binaries()
        var labels: [String: String] = [:]
        for item in label {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw LedgeError.usage("--label '\(item)': expected KEY=VALUE")
            }
            labels[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        let environment = ProcessInfo.processInfo.environment
        let created: Int64
        if let epoch = environment["SOURCE_DATE_EPOCH"], !epoch.isEmpty {
            guard let value = Int64(epoch), value >= 0 else {
                throw LedgeError.usage("SOURCE_DATE_EPOCH '\(epoch)': expected seconds since 1970")
            }
            created = value
        } else {
            created = 0
        }
        let version = self.version ?? LedgeVersion.current
        let metadata = ReleaseMetadata(
            title: labels["org.opencontainers.image.title"] ?? "ledge-\(entries.first?.name ?? "serve")", version: version, created: created,
            source: labels["org.opencontainers.image.source"] ?? "", revision: labels["org.opencontainers.image.revision"] ?? "",
            description: entries.isEmpty
                ? "ledge serve with \(extraRuntimes.map(PlatformInputs.Runtime.displayName).joined(separator: " and ")), for models fetched when it starts"
                : "ledge serve with \(entries.map(\.name).joined(separator: ", "))")
        let destination: PackageDestination
        if let push {
            destination = .push(try RegistryReference(parsing: push), insecure: insecureRegistry, credentials: try credentials(for: push))
        } else if let context {
            destination = .context(path: context)
        } else {
            destination = .output(path: output ?? "", format: format.format, tag: try Self.imageTag(tag, title: metadata.title, version: version))
        }
        var request = PackageRequest(
            models: entries, platforms: platforms, binaries: binaries, platformsDirectory: inputs.platformsDirectory(),
            image: ImageOptions(
                metadata: metadata, labels: labels, compressionLevel: compressionLevel,
                cacheDirectory: noCache ? nil : Self.cacheDirectory(environment)),
            destination: destination,
            sbomDirectory: sbomDir)
        request.registryRetries = registryRetries
        request.extraRuntimes = extraRuntimes
        return request
    }

    private func credentials(for reference: String) throws -> RegistryCredentials? {
        if let registryUser {
            guard registryPasswordStdin else { return RegistryCredentials(username: registryUser, password: "") }
            let password = (readLine(strippingNewline: true) ?? "")
            return RegistryCredentials(username: registryUser, password: password)
        }
        let environment = ProcessInfo.processInfo.environment
        if let user = environment["LEDGE_REGISTRY_USER"], let password = environment["LEDGE_REGISTRY_PASSWORD"] {
            return RegistryCredentials(username: user, password: password)
        }
        return DockerConfig.credentials(for: try RegistryReference(parsing: reference).registry, environment: environment)
    }

    /// `$XDG_CACHE_HOME/ledge/layers`, else `$HOME/.cache/ledge/layers`.
    static func cacheDirectory(_ environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/ledge/layers" }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return home + "/.cache/ledge/layers"
    }
}

/// `--format`'s values.
enum ImageFormatOption: String, ExpressibleByArgument, CaseIterable {
    case oci
    case ociArchive = "oci-archive"
    case dockerArchive = "docker-archive"

    var format: ImageFormat { ImageFormat(rawValue: rawValue) ?? .oci }
}
