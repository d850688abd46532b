#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
public import LedgeRelease
public import Logging
internal import LedgeFetch
internal import Synchronization

/// What `ledge deploy apply` takes to the devices.
public struct ApplyOptions: Sendable {
    public var models: [RepositoryLayout.Entry]
    public var binaries: [ReleasePlatform: String]
    public var platformsDirectory: String
    public var scratchDirectory: String
    /// The device folder for Ledge (relative to the login folder, or absolute).
    public var root = ".ledge"
    /// Where the server listens: `0.0.0.0`, or `nil` for the address ssh connects to.
    public var listenHost: String? = "0.0.0.0"
    public var port = 8000
    /// The spare port a new release is checked on before the switch.
    public var checkPort = 8001
    /// Releases kept besides the current one.
    public var keep = 3
    /// Seconds a server may take to be ready.
    public var readySeconds = 60
    /// How the server is kept running: `auto`, `systemd` or `supervisor`.
    public var initSystem = "auto"
    /// Upload rate per device in bytes per second (`nil`: as fast as the link goes).
    public var bytesPerSecond: Int?
    /// Tries again of an upload whose link was cut (ssh's status 255), each resuming from what
    /// the device holds, after 1, 2, 4 s.
    public var uploadRetries = 3
    /// Devices deployed first, in the order given; the others only when every one of them succeeded.
    public var canary = 0
    /// Once this many devices failed, no other is started (`nil`: all are tried).
    public var maxFailures: Int?
    /// Inference threads per session on the device (`nil`: the server's default).
    public var threads: Int?
    /// The server's token and certificate (`nil`: none, plain HTTP).
    public var secrets: DeviceSecrets?
    /// More `ledge serve` arguments, in the release (``ServeArguments``).
    public var serveArguments: [String] = []
    /// Environment variables for the servers (``ServeEnvironment``).
    public var serveEnvironment: [ServeEnvironment.Variable] = []

    public init(models: [RepositoryLayout.Entry], binaries: [ReleasePlatform: String], platformsDirectory: String, scratchDirectory: String) {
        self.models = models
        self.binaries = binaries
        self.platformsDirectory = platformsDirectory
        self.scratchDirectory = scratchDirectory
    }
}

/// How one device ended.
public struct DeviceOutcome: Sendable, Encodable {
    public var device: String
    public var platform: String?
    public var release: String?
    /// `deployed`, `unchanged`, `rolled back`, `failed` or `skipped` (not started: the canaries
    /// or too many devices failed).
    public var state: String
    public var reason: String?
    /// How the server is kept running there (``ServiceMode``).
    public var service: String?
    public var uploadedObjects = 0
    public var uploadedBytes = 0
    /// Bytes an earlier, interrupted run had already delivered (not sent again).
    public var resumedBytes = 0
    /// Uploads tried again in this run after their link was cut.
    public var uploadRetries = 0
    /// From starting the new server on the real port to its passing the check there.
    public var switchSeconds: Double?
    public var seconds = 0.0
    public var succeeded: Bool { state == "deployed" || state == "unchanged" }
}

/// `ledge deploy apply`: per device, probe; send the objects it lacks (checked there); assemble
/// the release; start it on a spare port and check it (ready + one inference per model); switch
/// `current` and restart the server on the real port; check again; on any failure after the
/// switch, switch back and restart the previous release. Devices run in parallel.
public enum Deployer {
    public static func apply(
        _ devices: [DeviceSpec], options: ApplyOptions, parallel: Int, logger: Logger,
        progress: @escaping @Sendable (String, String) -> Void
    ) async -> [DeviceOutcome] {
        let releases = ReleaseCache(options: options, logger: logger)
        defer { for device in devices { device.target.closeConnection() } }
        let failures = FailureCount()
        @Sendable func skipped(_ device: DeviceSpec, _ reason: String) -> DeviceOutcome {
            progress(device.name, "skipped")
            var outcome = DeviceOutcome(device: device.name, state: "skipped")
            outcome.reason = reason
            return outcome
        }
        let canaries = min(max(options.canary, 0), devices.count)
        var outcomes = await BoundedParallel.map(count: canaries, limit: parallel) { index in
            await deploy(devices[index], options: options, releases: releases, logger: logger, progress: progress, failures: failures)
        }
        let failed = outcomes.filter { !$0.succeeded }.map(\.device)
        if !failed.isEmpty {
            return outcomes + devices[canaries...].map { skipped($0, "not deployed: the canary failed (\(failed.joined(separator: ", ")))") }
        }
        outcomes += await BoundedParallel.map(count: devices.count - canaries, limit: parallel) { index in
            let device = devices[canaries + index]
            if let limit = options.maxFailures, failures.value >= limit {
                return skipped(device, "not deployed: \(limit) device\(limit == 1 ? "" : "s") failed (--max-failures \(limit))")
            }
            return await deploy(device, options: options, releases: releases, logger: logger, progress: progress, failures: failures)
        }
        return outcomes
    }

    /// One device of ``apply(_:options:parallel:logger:progress:)``, with its own settings; a
    /// failure counts in `failures`.
    private static func deploy(
        _ device: DeviceSpec, options: ApplyOptions, releases: ReleaseCache, logger: Logger,
        progress: @escaping @Sendable (String, String) -> Void, failures: FailureCount
    ) async -> DeviceOutcome {
        var own = options
        own.models = device.models
        own.port = device.port
        own.root = device.root
        own.threads = device.threads
        own.secrets = device.secrets
        own.serveArguments = device.serveArguments
        own.serveEnvironment = device.serveEnvironment
        var outcome = await deploy(device.target, options: own, releases: releases, logger: logger) { progress(device.name, $0) }
        outcome.device = device.name
        if !outcome.succeeded { failures.add() }
        return outcome
    }

    static func deploy(
        _ target: SSHTarget, options: ApplyOptions, releases: ReleaseCache, logger: Logger, say: @escaping @Sendable (String) -> Void
    ) async -> DeviceOutcome {
        let started = ContinuousClock.now
        var outcome = DeviceOutcome(device: target.destination, state: "failed")
        do {
            say("probing")
            let facts = try await DeviceFacts(target.check(DeviceScripts.probe(root: options.root), what: "probe"))
            guard let platform = facts.platform else {
                throw LedgeError.invalidInput("machine '\(facts.arch)' is neither x86_64 nor aarch64")
            }
            outcome.platform = platform.description
            let service = try ServiceMode.choose(options.initSystem, facts: facts)
            outcome.service = service.rawValue
            let release = try await releases.release(for: platform, models: options.models).securing(options.secrets)
                .configuring(serveArguments: options.serveArguments).configuring(serveEnvironment: options.serveEnvironment)
            outcome.release = release.id
            let device = try await DeviceEndpoint(host: target.resolvedHost(), options: options)
            let models = options.models.map(\.name)
            if facts.current == "releases/" + release.id, facts.running,
                (try? await ServerCheck(device, port: options.port).run(models: models, seconds: 2)) != nil
            {
                outcome.state = "unchanged"
                outcome.seconds = (ContinuousClock.now - started) / .seconds(1)
                say("unchanged")
                return outcome
            }
            try await send(release, to: target, facts: facts, options: options, outcome: &outcome, logger: logger, say: say)
            say("assembling")
            _ = try await target.check(release.assembleScript(root: options.root), what: "assemble release \(release.id)")
            try await checkOnSparePort(release.id, target: target, device: device, models: models, options: options, say: say)
            do {
                outcome.switchSeconds = try await activate(
                    release.id, on: target, device: device, service: service, facts: facts, models: models, options: options, say: say)
            } catch let failure as RolledBack {
                outcome.state = "rolled back"
                outcome.reason = failure.reason
                outcome.seconds = (ContinuousClock.now - started) / .seconds(1)
                say("rolled back")
                return outcome
            }
            _ = try? await target.run(DeviceScripts.prune(root: options.root, keep: options.keep))
            outcome.state = "deployed"
            say("deployed")
        } catch {
            outcome.reason = describe(error)
            say("failed")
        }
        outcome.seconds = (ContinuousClock.now - started) / .seconds(1)
        return outcome
    }

    /// Sends the objects the device lacks, resuming partly received ones; each is checked there.
    /// An upload whose link is cut is tried again (``ApplyOptions/uploadRetries``) from what arrived.
    static func send(
        _ release: DeviceRelease, to target: SSHTarget, facts: DeviceFacts, options: ApplyOptions, outcome: inout DeviceOutcome,
        logger: Logger, say: (String) -> Void
    ) async throws {
        let missing = release.objects.keys.filter { !facts.objects.contains($0) }.sorted()
        let total = missing.reduce(0) { $0 + (release.objectSizes[$1] ?? 0) }
        let needed = total - missing.reduce(0) { $0 + (facts.partials[$1] ?? 0) }
        if let free = facts.values["free_kb"].flatMap(Int.init), free * 1024 < needed + (1 << 20) {
            throw LedgeError(
                .invalidInput, "not enough space on the device: \(megabytes(needed)) MB to send, \(megabytes(free * 1024)) MB free in \(options.root)"
            )
        }
        var done = 0
        for (index, object) in missing.enumerated() {
            guard let content = release.objects[object], content.isSent else { continue }
            let size = release.objectSizes[object] ?? 0
            let first = resumeOffset(partial: facts.partials[object], size: size)
            say("sending \(index + 1)/\(missing.count), \(megabytes(done)) of \(megabytes(total)) MB")
            var offset: Int? = first
            var problem = ""
            var retry = 0
            while true {
                if let offset {
                    let result = try await target.run(
                        DeviceScripts.receive(root: options.root, object: object, offset: offset, size: size),
                        input: input(content, from: offset), bytesPerSecond: options.bytesPerSecond)
                    if result.status == 0 { break }
                    guard result.status == 255 else { throw LedgeError(.runtimeFailure, "\(sending(object, size)): \(result.lastError)") }
                    problem = result.lastError
                }
                guard let delay = RetrySchedule.delay(retryAfter: nil, retry: retry, retries: options.uploadRetries) else {
                    throw LedgeError(.remoteFailure, "\(sending(object, size)): \(problem)")
                }
                retry += 1
                logger.warning(
                    "\(target.destination): \(sending(object, size)) was cut: \(problem); resuming in \(delay) s (retry \(retry) of \(options.uploadRetries))"
                )
                say("link cut; resuming in \(delay) s")
                try await Task.sleep(for: .seconds(delay))
                // Where to go on from: what the device holds, once it answers again.
                switch await arrived(object, on: target, root: options.root) {
                case .success(let bytes): offset = resumeOffset(partial: bytes, size: size)
                case .failure(let error):
                    offset = nil
                    problem = error.message
                }
            }
            outcome.uploadedObjects += 1
            outcome.uploadedBytes += size - first
            outcome.resumedBytes += first
            outcome.uploadRetries += retry
            done += size
        }
    }

    /// What goes to the device's receive script: the object from `offset` on.
    private static func input(_ content: ReleaseFile.Content, from offset: Int) -> LocalCommand.Input {
        switch content {
        case .file(let path): .file(path, offset: offset)
        case .bytes(let bytes): .bytes(Array(bytes.dropFirst(offset)))
        case .symlink, .directory: .none
        }
    }

    /// The bytes of `object` the device holds in its partial file (0 when none), or why the
    /// device does not answer.
    private static func arrived(_ object: String, on target: SSHTarget, root: String) async -> Result<Int, LedgeError> {
        do {
            let result = try await target.run(DeviceScripts.partialSize(root: root, object: object))
            guard result.status == 0, let bytes = Int(result.stdout.trimmingWhitespaceAndNewlines()) else {
                return .failure(LedgeError(.remoteFailure, result.lastError))
            }
            return .success(bytes)
        } catch {
            return .failure((error as? LedgeError) ?? LedgeError(.remoteFailure, "\(error)"))
        }
    }

    /// `send 1a2b3c4d5e6f (4.2 MB)`: an upload, in messages.
    private static func sending(_ object: String, _ size: Int) -> String { "send \(object.prefix(12)) (\(megabytes(size)) MB)" }

    /// Where sending an object of `size` bytes resumes when the device holds `partial` bytes
    /// of it: after them, even when all arrived before the link was cut (nothing more is
    /// sent; the device checks the digest and commits it); from the start when there is
    /// no partial or it is longer than the object.
    static func resumeOffset(partial: Int?, size: Int) -> Int {
        guard let partial, partial > 0, partial <= size else { return 0 }
        return partial
    }

    /// Starts the assembled release on the spare port and checks it (ready, one inference per
    /// model); the serving release is not touched, whatever happens.
    static func checkOnSparePort(
        _ id: String, target: SSHTarget, device: DeviceEndpoint, models: [String], options: ApplyOptions, say: (String) -> Void
    ) async throws {
        say("checking on port \(options.checkPort)")
        _ = try await target.check(
            DeviceScripts.startCheck(root: options.root, release: id, host: device.listen, port: options.checkPort, threads: options.threads),
            what: "start the new release")
        let root = options.root
        let alive: @Sendable () async -> Bool = {
            (try? await target.run("kill -0 \"$(cat \(DeviceRelease.quoted(root + "/run/check.pid")))\" 2> /dev/null").status) == 0
        }
        do {
            try await ServerCheck(device, port: options.checkPort).run(models: models, seconds: options.readySeconds, alive: alive)
        } catch {
            let log = (try? await target.run(DeviceScripts.tail(root: options.root, log: "releases/\(id)/check.log")).stdout) ?? ""
            _ = try? await target.run(DeviceScripts.stop(root: options.root, pidFile: "run/check.pid"))
            throw LedgeError(.runtimeFailure, "the new release failed its check: \(describe(error))\(lastLine(log))")
        }
        _ = try await target.check(DeviceScripts.stop(root: options.root, pidFile: "run/check.pid"), what: "stop the check")
    }

    /// Makes release `id` the serving one without a refused connection: points `current` at
    /// it, starts it beside the running server (it takes the new connections once it
    /// listens), waits for it to be ready, checks it on the real port, then stops the others,
    /// which finish their requests. When it fails, it is stopped, `current` points back and
    /// the old server, never stopped, goes on: ``RolledBack``. Returns the seconds from start
    /// to the check passing.
    static func activate(
        _ id: String, on target: SSHTarget, device: DeviceEndpoint, service: ServiceMode, facts: DeviceFacts, models: [String],
        options: ApplyOptions, say: (String) -> Void
    ) async throws -> Double {
        let root = options.root
        if service != .supervisor {
            guard let rootPath = facts.values["root"], !rootPath.contains(where: \.isWhitespace) else {
                throw LedgeError(.invalidInput, "systemd units need a device folder without spaces")
            }
            _ = try await target.check(
                service.installScript(rootPath: rootPath, host: device.listen, port: options.port, threads: options.threads), what: "install the unit"
            )
        }
        say("switching")
        let switched = try await target.check(DeviceScripts.switchTo(root: root, release: id, record: true), what: "switch")
        let previous = switched.split(separator: "\n").first { $0.hasPrefix("previous=") }.map { String($0.dropFirst(9)) } ?? ""
        let started = ContinuousClock.now
        do {
            let start = try await target.check(
                service.startScript(root: root, release: id, host: device.listen, port: options.port, threads: options.threads)
                    + "\necho \"log=$(wc -c < ledge.log 2> /dev/null || echo 0)\"",
                what: "start the server")
            let logOffset = start.split(separator: "\n").last { $0.hasPrefix("log=") }.flatMap { Int($0.dropFirst(4)) } ?? 0
            let ready = try await target.check(
                DeviceScripts.waitReady(root: root, release: id, seconds: options.readySeconds, service: service, logOffset: logOffset),
                what: "start the server")
            let pid = ready.split(separator: "\n").last { $0.hasPrefix("pid=") }.map { String($0.dropFirst(4)) } ?? ""
            try await ServerCheck(device, port: options.port).run(models: models, seconds: options.readySeconds)
            _ = try await target.check(DeviceScripts.stillServing(root: root, release: id, pid: pid), what: "check the new server")
        } catch {
            say("rolling back")
            let reason = describe(error)
            _ = try? await target.run(service.stopScript(root: root, release: id))
            if previous.hasPrefix("releases/") {
                _ = try? await target.run(DeviceScripts.switchTo(root: root, release: String(previous.dropFirst(9)), record: false))
                throw RolledBack(reason: "the new release failed on port \(options.port): \(reason); \(previous.dropFirst(9)) serves on")
            }
            _ = try? await target.run("rm -f \(DeviceRelease.quoted(root + "/current"))")
            throw LedgeError(.runtimeFailure, "the new release failed on port \(options.port): \(reason)")
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        say("stopping the old server")
        _ = try await target.check(
            "echo \(service.rawValue) > \(DeviceRelease.quoted(root + "/service"))\n" + service.stopOthersScript(root: root, keeping: id),
            what: "stop the old server")
        return seconds
    }

    static func megabytes(_ bytes: Int) -> String { cFormat("%.1f", Double(bytes) / 1e6) }

    static func describe(_ error: any Error) -> String {
        (error as? LedgeError)?.message ?? "\(error)"
    }

    /// The log line that says why: the last error line (a usage error is followed by usage
    /// lines), else the last line.
    static func lastLine(_ log: String) -> String {
        let lines = log.split(separator: "\n")
        guard let line = lines.last(where: { $0.hasPrefix("Error: ") || $0.hasPrefix("error: ") }) ?? lines.last else { return "" }
        return " (log: \(line))"
    }
}

/// One device of `deploy apply` with what it gets.
public struct DeviceSpec: Sendable {
    /// Its name in progress lines and results (the fleet file's, or the ssh destination).
    public var name: String
    public var target: SSHTarget
    public var models: [RepositoryLayout.Entry]
    /// The server's port.
    public var port: Int
    /// The device folder for Ledge.
    public var root: String
    /// Inference threads per session (`nil`: the server's default).
    public var threads: Int?
    /// The server's token and certificate (`nil`: none, plain HTTP).
    public var secrets: DeviceSecrets?
    /// More `ledge serve` arguments (a fleet file's `serve_args`).
    public var serveArguments: [String]
    /// The server's environment variables (a fleet file's `serve_env`).
    public var serveEnvironment: [ServeEnvironment.Variable]

    public init(
        name: String, target: SSHTarget, models: [RepositoryLayout.Entry], port: Int, root: String, threads: Int? = nil,
        secrets: DeviceSecrets? = nil, serveArguments: [String] = [], serveEnvironment: [ServeEnvironment.Variable] = []
    ) {
        self.name = name
        self.target = target
        self.models = models
        self.port = port
        self.root = root
        self.threads = threads
        self.secrets = secrets
        self.serveArguments = serveArguments
        self.serveEnvironment = serveEnvironment
    }
}

/// A release that failed after the switch, with the old one serving on.
struct RolledBack: Error {
    var reason: String
}

/// Where a device's server is reached from here, and the address it listens on.
struct DeviceEndpoint {
    /// The host ssh connects to (`ssh -G`), for the HTTP checks.
    var host: String
    /// The address the server binds.
    var listen: String
    /// The server's token and certificate, for the checks.
    var secrets: DeviceSecrets?

    init(host: String, options: ApplyOptions) {
        self.host = host
        listen = options.listenHost ?? host
        secrets = options.secrets
    }

    func base(_ port: Int) -> String { "\(secrets?.scheme ?? "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// What the probe script printed.
struct DeviceFacts {
    var arch = ""
    var current = ""
    var running = false
    var objects: Set<String> = []
    /// Objects partly received by an interrupted run: name → bytes there.
    var partials: [String: Int] = [:]
    var values: [String: String] = [:]

    init(_ output: String) {
        var inObjects = false
        for line in output.split(separator: "\n").map(String.init) {
            if inObjects {
                objects.insert(line)
                continue
            }
            if line == "objects:" {
                inObjects = true
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            let value = String(line[line.index(after: equals)...])
            if key == "partial" {
                let parts = value.split(separator: " ")
                if parts.count == 2, let size = Int(parts[1]) { partials[String(parts[0])] = size }
                continue
            }
            values[key] = value
        }
        arch = values["arch"] ?? ""
        current = values["current"] ?? ""
        running = values["running"] == "yes"
    }

    var platform: ReleasePlatform? {
        switch arch {
        case "x86_64", "amd64": return .amd64
        case "aarch64", "arm64": return .arm64
        default: return nil
        }
    }
}

/// One release per platform, built the first time a device of that platform asks.
actor ReleaseCache {
    let options: ApplyOptions
    let logger: Logger
    private var releases: [String: DeviceRelease] = [:]

    init(options: ApplyOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    func release(for platform: ReleasePlatform, models: [RepositoryLayout.Entry]) throws -> DeviceRelease {
        let key = "\(platform) " + models.map { "\($0.name)=\($0.model)" }.joined(separator: " ")
        if let release = releases[key] { return release }
        guard let binary = options.binaries[platform] else {
            throw LedgeError.usage("no ledge binary for \(platform): pass --binary \(platform)=PATH (built on a \(platform) machine)")
        }
        let bundle = try ReleaseBundle.build(
            ReleaseRequest(
                platform: platform, binary: binary, models: models, platformsDirectory: options.platformsDirectory,
                scratchDirectory: options.scratchDirectory,
                metadata: ReleaseMetadata(
                    title: "ledge-release", version: LedgeVersion.current, created: 0, source: "", revision: "",
                    description: "ledge serve with \(models.map(\.name).joined(separator: ", "))")),
            logger: logger)
        let release = try DeviceRelease(bundle: bundle)
        releases[key] = release
        return release
    }
}

extension ReleaseFile.Content {
    /// True for what is sent as an object (a file's or the packager's bytes).
    fileprivate var isSent: Bool {
        switch self {
        case .file, .bytes: true
        case .symlink, .directory: false
        }
    }
}

/// Devices that failed so far in one `apply`, across its parallel jobs.
private final class FailureCount: Sendable {
    private let count = Atomic(0)
    var value: Int { count.load(ordering: .acquiring) }
    func add() { count.add(1, ordering: .acquiringAndReleasing) }
}
