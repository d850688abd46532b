internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeDeploy
internal import LedgeFetch
internal import LedgeRelease
internal import LedgeServer
internal import Logging

/// `ledge deploy apply`: models to devices over SSH, checked before and after the switch.
struct DeployApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Deploy models to devices over SSH: send what they lack, check the new release, switch, roll back on failure.",
        discussion: """
            Uses your own ssh (config, agent, jump hosts, known_hosts; strict host-key checking, no passwords). \
            Per device: probe it, send only the files it lacks (by sha256, checked there), assemble a release \
            folder under --root, start it on --check-port and check it (ready, one inference per model), point \
            'current' at it, start it on --port beside the old server (it takes every new connection once it \
            listens; no request is refused), check it there, then stop the old one, which finishes its requests. \
            On failure the new server is stopped and the old one goes on. The server is kept running by a \
            systemd unit (ledge@RELEASE: system-wide for root, the user's own when the user lingers) or, without \
            systemd, by the release's supervise.sh. An interrupted upload resumes where it stopped. The release \
            runs with its own loader and glibc. Exit 0 only when every device succeeded, 1 otherwise.
            """)

    @OptionGroup(title: "Devices") var device: DeviceOptions

    @OptionGroup(title: "Models") var models: ModelOptions

    @OptionGroup(title: "Model URIs") var modelURIs: ModelURIOptions

    @OptionGroup(title: "Platform inputs") var inputs: ReleaseInputOptions

    @Option(help: "Where the server listens on the device: an address, or 'ssh' for the address ssh connects to.")
    var listen = "0.0.0.0"

    @Option(name: .customLong("check-port"), help: "The spare port a new release is checked on.")
    var checkPort = 8001

    @Option(help: "Devices deployed at once.")
    var parallel = 8

    @Option(help: "Releases kept besides the current one.")
    var keep = 3

    @Option(name: .customLong("init"), help: "What keeps the server running: auto, systemd or supervisor.")
    var initSystem: InitSystem = .auto

    @Option(name: .customLong("limit-rate"), help: "Upload rate per device, bytes per second with an optional K or M suffix (e.g. 500K).")
    var limitRate: ByteRate?

    @Option(
        name: .customLong("upload-retries"),
        help: "Tries again of an upload whose link was cut, 0-10, each resuming from what the device holds (after 1, 2, 4 s).")
    var uploadRetries = 3

    @Option(help: "Deploy to the first N devices first (in the order given, the fleet file's first); the others only when all N succeeded.")
    var canary = 0

    @Option(
        name: .customLong("max-failures"),
        help: "Once N devices have failed, start no other (those deploying go on); the rest are skipped. Default: every device is tried.")
    var maxFailures: Int?

    @Option(name: .customLong("ready-timeout"), help: "Seconds a new server may take to be ready.")
    var readyTimeout = 60

    @OptionGroup(title: "Server") var serve: ServeArgumentOptions

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        if device.fleet == nil && modelURIs.isEmpty { try models.requireModels() }
        try modelURIs.checkAlone(with: models)
        if device.port == checkPort { throw ValidationError("--check-port must differ from --port") }
        if canary < 0 { throw ValidationError("--canary must be 0 or more, got \(canary)") }
        if let maxFailures, maxFailures < 1 { throw ValidationError("--max-failures must be 1 or more, got \(maxFailures)") }
        if !(0...10).contains(uploadRetries) { throw ValidationError("--upload-retries must be between 0 and 10, got \(uploadRetries)") }
        try serve.check(setBy: "deploy (its own options: -m, --port, --auth-token-file, --tls-cert…)")
    }

    func run() async throws {
        let logger = Logger(label: "ledge.deploy") { _ in ConsoleLogHandler(logLevel: .warning) }
        let binaries = try inputs.binaries()
        let devices = try await deviceSpecs(logger: logger)
        let scratch = FileManager.default.temporaryDirectory.path + "/ledge-deploy-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var options = ApplyOptions(models: [], binaries: binaries, platformsDirectory: inputs.platformsDirectory(), scratchDirectory: scratch)
        options.listenHost = listen == "ssh" ? nil : listen
        options.checkPort = checkPort
        options.keep = keep
        options.initSystem = initSystem.rawValue
        options.bytesPerSecond = limitRate?.bytesPerSecond
        options.uploadRetries = uploadRetries
        options.canary = canary
        options.maxFailures = maxFailures
        options.readySeconds = readyTimeout
        let progress = DeployProgress(devices: devices.map(\.name), quiet: json)
        let outcomes = await Deployer.apply(devices, options: options, parallel: parallel, logger: logger, progress: progress.report)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(outcomes), as: UTF8.self))
        } else {
            print(DeployText.table(outcomes))
        }
        if outcomes.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
    }
}

extension DeployApplyCommand {
    /// Every device with its models (the fleet file's, else `-m` and `--model-uri`), server port,
    /// folder and threads. Model URIs (the options' and the fleet file's) are fetched here first,
    /// each once, and sent as files.
    func deviceSpecs(logger: Logger) async throws -> [DeviceSpec] {
        let devices = try device.resolvedDevices()
        let uris = modelURIs.modelURI + devices.flatMap { $0.models ?? [] }.filter(\.isURI).map(\.path)
        let fetched = try await modelURIs.fetch(uris, logger: logger)
        let common =
            models.isEmpty && modelURIs.isEmpty
            ? nil : try modelURIs.entries(with: models, fetched: modelURIs.modelURI.flatMap { fetched[$0] ?? [] })
        return try devices.map { device in
            guard
                let entries = try device.models.map({ try RepositoryLayout.entries(files: Self.files($0, fetched: fetched, device: device.name)) })
                    ?? common
            else {
                throw LedgeError.usage(
                    "device '\(device.name)' has no models: give -m, --model-uri or --model-repository, or models in the fleet file")
            }
            if device.serverPort == checkPort {
                throw LedgeError.usage("device '\(device.name)': server port \(checkPort) is the --check-port; give another --check-port")
            }
            return DeviceSpec(
                name: device.name, target: device.target, models: entries, port: device.serverPort, root: device.root, threads: device.threads,
                secrets: try Self.secrets(device.access, device: device.name), serveArguments: device.serveArguments ?? serve.arguments,
                serveEnvironment: ServeEnvironment.merged(try serve.environment(), device.serveEnvironment ?? []))
        }
    }

    /// A fleet device's model files: its files, and the models its URIs fetched (one per named URI).
    static func files(_ models: [FleetModel], fetched: [String: [(path: String, name: String?)]], device: String) throws -> [(
        path: String, name: String?
    )] {
        try models.flatMap { model -> [(path: String, name: String?)] in
            guard model.isURI else { return [(model.path, model.name)] }
            let files = fetched[model.path] ?? []
            guard let name = model.name else { return files }
            guard files.count == 1 else {
                throw LedgeError.invalidModel(
                    "device '\(device)': model '\(name)': \(model.path) holds \(files.count) models; expected one (list the URI without a name to deploy each)"
                )
            }
            return [(files[0].path, name)]
        }
    }

    /// The token, certificate and key read and checked here as `ledge serve` checks them, so a
    /// bad file fails before anything is sent; `nil` when none is given.
    static func secrets(_ access: DeviceAccess, device: String) throws -> DeviceSecrets? {
        if let problem = access.problem { throw LedgeError.usage("device '\(device)': \(problem)") }
        var secrets = DeviceSecrets(trustRoots: access.trustRoots, clientIdentity: access.clientIdentity)
        if let file = access.tokenFile {
            let tokens = try SecurityOptions.readDeviceTokens(
                file: file, kind: "device '\(device)': auth token", label: "device '\(device)': \(file)")
            secrets.token = tokens.check
            secrets.tokenLines = tokens.lines.count > 1 ? tokens.lines : nil
        }
        if let certificate = access.certificate, let key = access.key {
            do {
                _ = try ServerTLS(certificateFile: certificate, keyFile: key, clientCAFile: access.clientCA)
            } catch {
                throw LedgeError.invalidInput("device '\(device)': \(error.message)")
            }
            secrets.certificate = Array(try CheckedFile.read(certificate, kind: "--tls-cert", expected: "a file", code: .invalidInput))
            secrets.key = Array(try CheckedFile.read(key, kind: "--tls-key", expected: "a file", code: .invalidInput))
            if let clientCA = access.clientCA {
                secrets.clientCA = Array(try CheckedFile.read(clientCA, kind: "--tls-client-ca", expected: "a file", code: .invalidInput))
            }
        }
        if let problem = secrets.clientIdentity?.problem(label: "device '\(device)'") { throw LedgeError.invalidInput(problem) }
        if let roots = access.trustRoots, !FileManager.default.isReadableFile(atPath: roots) {
            throw LedgeError.invalidInput("device '\(device)': tls_ca \(roots): not a readable file")
        }
        return secrets.token == nil && secrets.certificate == nil ? nil : secrets
    }
}

/// The result table of `deploy apply`.
enum DeployText {
    static func table(_ outcomes: [DeviceOutcome]) -> String {
        let header = ["DEVICE", "PLATFORM", "RELEASE", "STATE", "SENT", "SWITCH", "TIME", "REASON"]
        let rows = outcomes.map {
            [
                $0.device, $0.platform ?? "-", $0.release ?? "-", $0.state,
                "\($0.uploadedObjects) files, \(cFormat("%.1f", Double($0.uploadedBytes) / 1e6)) MB"
                    + ($0.resumedBytes > 0 ? " (+\(cFormat("%.1f", Double($0.resumedBytes) / 1e6)) MB resumed)" : ""),
                $0.switchSeconds.map { cFormat("%.2f s", $0) } ?? "-", cFormat("%.1f s", $0.seconds), $0.reason ?? "",
            ]
        }
        return columns(header, rows)
    }

    /// Rows under a header, columns padded to their widest cell.
    static func columns(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
                .trimmingWhitespace()
        }.joined(separator: "\n")
    }
}

/// `--init`.
enum InitSystem: String, ExpressibleByArgument, CaseIterable {
    case auto, systemd, supervisor
}

/// `--limit-rate 500K`: bytes per second, with an optional K (1024) or M (1024²) suffix.
struct ByteRate: ExpressibleByArgument {
    var bytesPerSecond: Int

    init?(argument: String) {
        let text = argument.uppercased()
        let scale = text.hasSuffix("K") ? 1024 : text.hasSuffix("M") ? 1024 * 1024 : 1
        guard let value = Int(scale == 1 ? text : String(text.dropLast())), value > 0 else { return nil }
        bytesPerSecond = value * scale
    }
}
