#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
public import LedgeRelease
public import Logging

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
    /// `deployed`, `unchanged`, `rolled back` or `failed`.
    public var state: String
    public var reason: String?
    public var uploadedObjects = 0
    public var uploadedBytes = 0
    public var seconds = 0.0
    public var succeeded: Bool { state == "deployed" || state == "unchanged" }
}

/// `ledge deploy apply`: per device, probe; send the objects it lacks (checked there); assemble
/// the release; start it on a spare port and check it (ready + one inference per model); switch
/// `current` and restart the server on the real port; check again; on any failure after the
/// switch, switch back and restart the previous release. Devices run in parallel.
public enum Deployer {
    public static func apply(
        _ targets: [SSHTarget], options: ApplyOptions, parallel: Int, logger: Logger,
        progress: @escaping @Sendable (String, String) -> Void
    ) async -> [DeviceOutcome] {
        let releases = ReleaseCache(options: options, logger: logger)
        defer { for target in targets { target.closeConnection() } }
        return await withTaskGroup(of: (Int, DeviceOutcome).self) { group in
            var results: [(Int, DeviceOutcome)] = []
            var next = 0
            func add(_ index: Int) {
                group.addTask {
                    (index, await deploy(targets[index], options: options, releases: releases, progress: progress))
                }
            }
            while next < min(max(1, parallel), targets.count) {
                add(next)
                next += 1
            }
            for await result in group {
                results.append(result)
                if next < targets.count {
                    add(next)
                    next += 1
                }
            }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    static func deploy(
        _ target: SSHTarget, options: ApplyOptions, releases: ReleaseCache, progress: @escaping @Sendable (String, String) -> Void
    ) async -> DeviceOutcome {
        let started = ContinuousClock.now
        var outcome = DeviceOutcome(device: target.destination, state: "failed")
        let say = { (message: String) in progress(target.destination, message) }
        do {
            say("probing")
            let facts = try DeviceFacts(target.check(DeviceScripts.probe(root: options.root), what: "probe"))
            guard let platform = facts.platform else {
                throw LedgeError.invalidInput("\(target.destination): machine '\(facts.arch)' is neither x86_64 nor aarch64")
            }
            outcome.platform = platform.description
            let release = try await releases.release(for: platform)
            outcome.release = release.id
            let host = try target.resolvedHost()
            let listen = options.listenHost ?? host
            let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(options.port)"
            let models = options.models.map(\.name)
            if facts.current == "releases/" + release.id, facts.running,
                (try? await ServerCheck(base: base).run(models: models, seconds: 2)) != nil
            {
                outcome.state = "unchanged"
                outcome.seconds = (ContinuousClock.now - started) / .seconds(1)
                say("unchanged")
                return outcome
            }
            // Send what the device lacks, each object checked there.
            let missing = release.objects.keys.filter { !facts.objects.contains($0) }.sorted()
            for (index, object) in missing.enumerated() {
                say("sending \(index + 1)/\(missing.count)")
                let script = DeviceScripts.receive(root: options.root, object: object)
                switch release.objects[object] {
                case .file(let path)?: _ = try target.check(script, what: "send \(object.prefix(12))", inputFile: path)
                case .bytes(let bytes)?: _ = try target.check(script, what: "send \(object.prefix(12))", input: bytes)
                default: continue
                }
                outcome.uploadedObjects += 1
                outcome.uploadedBytes += release.objectSizes[object] ?? 0
            }
            say("assembling")
            _ = try target.check(release.assembleScript(root: options.root), what: "assemble release \(release.id)")
            // The new release on the spare port first: the running one is not touched if it fails.
            say("checking on port \(options.checkPort)")
            let candidateLog = "releases/\(release.id)/check.log"
            _ = try target.check(
                DeviceScripts.start(
                    root: options.root, release: "releases/" + release.id, host: listen, port: options.checkPort, log: candidateLog,
                    pidFile: "check.pid"), what: "start the new release")
            let candidateBase = "http://\(host.contains(":") ? "[\(host)]" : host):\(options.checkPort)"
            let root = options.root
            let alive: @Sendable () async -> Bool = {
                (try? target.run("kill -0 \"$(cat \(DeviceRelease.quoted(root + "/check.pid")))\" 2> /dev/null").status) == 0
            }
            do {
                try await ServerCheck(base: candidateBase).run(models: models, seconds: options.readySeconds, alive: alive)
            } catch {
                let log = (try? target.run(DeviceScripts.tail(root: options.root, log: candidateLog)).stdout) ?? ""
                _ = try? target.run(DeviceScripts.stop(root: options.root, pidFile: "check.pid"))
                throw LedgeError(.runtimeFailure, "the new release failed its check: \(describe(error))\(lastLine(log))")
            }
            _ = try target.check(DeviceScripts.stop(root: options.root, pidFile: "check.pid"), what: "stop the check")
            say("switching")
            let switched = try target.check(DeviceScripts.switchTo(root: options.root, release: "releases/" + release.id), what: "switch")
            let previous = switched.split(separator: "\n").first { $0.hasPrefix("previous=") }.map { String($0.dropFirst(9)) } ?? ""
            _ = try target.check(DeviceScripts.stop(root: options.root, pidFile: "ledge.pid"), what: "stop the old server")
            _ = try target.check(
                DeviceScripts.start(root: options.root, release: "current", host: listen, port: options.port, log: "ledge.log", pidFile: "ledge.pid"),
                what: "start the server")
            do {
                try await ServerCheck(base: base).run(models: models, seconds: options.readySeconds)
            } catch {
                say("rolling back")
                let reason = describe(error)
                guard !previous.isEmpty else { throw LedgeError(.runtimeFailure, "the new release failed after the switch: \(reason)") }
                _ = try? target.run(DeviceScripts.stop(root: options.root, pidFile: "ledge.pid"))
                _ = try? target.run(DeviceScripts.switchTo(root: options.root, release: previous))
                _ = try? target.run(
                    DeviceScripts.start(
                        root: options.root, release: "current", host: listen, port: options.port, log: "ledge.log", pidFile: "ledge.pid"))
                outcome.state = "rolled back"
                outcome.reason = "the new release failed after the switch: \(reason); \(previous) serves again"
                outcome.seconds = (ContinuousClock.now - started) / .seconds(1)
                return outcome
            }
            _ = try? target.run(DeviceScripts.prune(root: options.root, keep: options.keep))
            outcome.state = "deployed"
            say("deployed")
        } catch {
            outcome.reason = describe(error)
            say("failed")
        }
        outcome.seconds = (ContinuousClock.now - started) / .seconds(1)
        return outcome
    }

    static func describe(_ error: any Error) -> String {
        (error as? LedgeError)?.message ?? "\(error)"
    }

    private static func lastLine(_ log: String) -> String {
        guard let line = log.split(separator: "\n").last else { return "" }
        return " (log: \(line))"
    }
}

/// What the probe script printed.
struct DeviceFacts {
    var arch = ""
    var current = ""
    var running = false
    var objects: Set<String> = []
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
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
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
    private var releases: [ReleasePlatform: DeviceRelease] = [:]

    init(options: ApplyOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    func release(for platform: ReleasePlatform) throws -> DeviceRelease {
        if let release = releases[platform] { return release }
        guard let binary = options.binaries[platform] else {
            throw LedgeError.usage("no ledge binary for \(platform): pass --binary \(platform)=PATH (built on a \(platform) machine)")
        }
        let bundle = try ReleaseBundle.build(
            ReleaseRequest(
                platform: platform, binary: binary, models: options.models, platformsDirectory: options.platformsDirectory,
                scratchDirectory: options.scratchDirectory,
                metadata: ReleaseMetadata(
                    title: "ledge-release", version: LedgeVersion.current, created: 0, source: "", revision: "",
                    description: "ledge serve with \(options.models.map(\.name).joined(separator: ", "))")),
            logger: logger)
        let release = try DeviceRelease(bundle: bundle)
        releases[platform] = release
        return release
    }
}
