internal import CLedgeProcess
internal import Crypto
internal import Dispatch
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore
public import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Opens a model in a child process before the serving process trusts it.
///
/// Runtimes are C++ libraries: a malformed model can crash them (LiteRT
/// segfaults on some files), hang them or make them allocate without bound,
/// and in-process that takes every other model down with it. The probe runs
/// `ledge probe MODEL` (the same executable, re-executed) under a time limit
/// and an address-space limit; the child loads the model and runs one
/// inference on a synthetic input. A crash, hang or memory exhaustion becomes
/// one ``LedgeError`` (code ``LedgeError/Code/invalidModel``) naming the file
/// and what happened. Results are cached by the file's SHA-256, the runtime's
/// identity and the probe settings, so a restart does not pay again.
public struct ModelProbe: Sendable {
    /// The `ledge` executable to re-execute (its `probe` subcommand).
    public var executable: String
    /// Runtime libraries and threads the child opens the model with.
    public var engine: EngineOptions
    /// How long the child may take to load the model and run it once.
    public var timeout: Duration
    /// The child's address-space limit in bytes (RLIMIT_AS).
    public var memoryLimit: Int
    /// Where results are cached; `nil` disables the cache.
    public var cacheDirectory: String?

    /// A probe re-executing `executable`.
    public init(
        executable: String, engine: EngineOptions = EngineOptions(), timeout: Duration = .seconds(60),
        memoryLimit: Int = 4 << 30, cacheDirectory: String? = ModelProbe.defaultCacheDirectory()
    ) {
        self.executable = executable
        self.engine = engine
        self.timeout = timeout
        self.memoryLimit = memoryLimit
        self.cacheDirectory = cacheDirectory
    }

    /// `$XDG_CACHE_HOME/ledge/probe`, else `~/.cache/ledge/probe`; `nil` without a home.
    public static func defaultCacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        userCacheFolder("probe", environment: environment)
    }

    /// The path of the running executable (`/proc/self/exe`).
    public static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// What one probe found.
    public enum Outcome: Sendable, Equatable {
        /// The model loaded and ran; the child's peak resident memory in bytes.
        case passed(peakBytes: Int)
        /// The model failed: what happened (the error message adds the file's path).
        case failed(String)
    }

    /// Probes `path` (or takes the cached result) and throws when the model is unsafe to load.
    public func check(path: String, logger: Logger) throws {
        try check(file: try ModelFile(path: path), logger: logger)
    }

    /// Probes a model file the caller has read already (its bytes give the cache key; the
    /// child reads the file itself), and throws when the model is unsafe to load.
    public func check(file: ModelFile, logger: Logger) throws {
        let path = file.path
        let key = try cacheKey(file: file)
        if let cached = cached(key) {
            logger.debug("probe of \(path): cached result")
            if case .failed(let reason) = cached { throw LedgeError.invalidModel("\(path): \(reason)") }
            return
        }
        let start = ContinuousClock.now
        let outcome = try run(path: path)
        logger.debug("probe of \(path): \(outcome) in \(ContinuousClock.now - start)")
        switch outcome {
        case .passed:
            store(outcome, key: key)
        case .failed(let reason):
            // A time-out may be the machine's load, not the file: not cached.
            if !reason.contains("did not load and run within") { store(outcome, key: key) }
            throw LedgeError.invalidModel("\(path): \(reason)")
        }
    }

    /// Runs the child once, without the cache.
    public func run(path: String) throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-probe-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw LedgeError.runtimeFailure("cannot create the probe's log file \(log.path)")
        }
        defer { try? FileManager.default.removeItem(at: log) }
        let output = open(log.path, O_WRONLY | O_CLOEXEC)
        guard output >= 0 else {
            throw LedgeError.runtimeFailure("cannot open the probe's log file \(log.path): \(String(cString: strerror(errno)))")
        }
        defer { close(output) }
        let process: ChildProcess
        do {
            process = try ChildProcess(executable: executable, arguments: arguments(path: path), output: output)
        } catch {
            throw LedgeError.runtimeFailure("cannot start the model probe '\(executable)': \(error)")
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        guard let (reason, status) = process.wait(until: .now() + seconds) else {
            kill(process.pid, SIGKILL)
            _ = process.wait()
            return .failed("the model did not load and run within \(Self.describe(timeout)) in the probe (killed)")
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Self.outcome(path: path, reason: reason, status: status, output: text, memoryLimit: memoryLimit)
    }

    private func arguments(path: String) -> [String] {
        var arguments = Self.programPrefix(executable: executable, argumentZero: CommandLine.arguments.first ?? "")
        arguments += ["probe", path, "--memory-limit", String(memoryLimit)]
        if let threads = engine.session.threads { arguments += ["--threads", String(threads)] }
        if let ort = engine.onnxRuntimeLibrary { arguments += ["--ort-library", ort] }
        if let litert = engine.liteRTLibrary { arguments += ["--litert-library", litert] }
        if let cache = engine.onnxGraphCache { arguments += ["--onnx-cache", cache.directory] }
        if let cache = engine.xnnpackCache { arguments += ["--xnnpack-cache", cache.directory] }
        return arguments
    }

    /// When `ledge` was started through its dynamic loader (`ld-linux-….so ledge serve …`, as a
    /// device release starts it with its own glibc), `/proc/self/exe` is the loader: the child
    /// must be given the program again (the loader reads the library path from the inherited
    /// `LD_LIBRARY_PATH`).
    static func programPrefix(executable: String, argumentZero: String) -> [String] {
        let name = PathName.lastComponent(executable)
        let isLoader = (name.hasPrefix("ld-linux") || name.hasPrefix("ld-musl")) && name.contains(".so")
        return isLoader && !argumentZero.isEmpty ? [argumentZero] : []
    }

    /// The outcome of a finished child from how it ended and what it printed.
    static func outcome(
        path: String, reason: ChildProcess.TerminationReason, status: Int32, output: String,
        memoryLimit: Int
    ) -> Outcome {
        let lines = output.split(whereSeparator: \.isNewline).map(String.init)
        let limit = "\(memoryLimit >> 20) MB"
        if reason == .uncaughtSignal {
            let name = String(cString: ledge_signal_name(status))
            let cause = status == SIGKILL ? "was killed" : "crashed the runtime"
            return .failed("the model \(cause) while loading or running in the probe (signal \(status), \(name)); memory bound \(limit)")
        }
        if status == 0, let last = lines.last(where: { $0.hasPrefix("probe: ok") }) {
            let peak = last.split(separator: " ").first { $0.hasPrefix("peak_bytes=") }.flatMap { Int($0.dropFirst(11)) }
            return .passed(peakBytes: peak ?? 0)
        }
        let error =
            lines.last(where: { $0.hasPrefix("error: ") }).map { String($0.dropFirst(7)) }
            ?? lines.last ?? "exit status \(status)"
        let memory = ["bad_alloc", "Failed to allocate", "out of memory", "Cannot allocate memory"].contains { error.contains($0) }
        if memory {
            return .failed("the model exceeded the probe's memory bound of \(limit) (\(error))")
        }
        return .failed(error.hasPrefix(path + ": ") ? String(error.dropFirst(path.count + 2)) : error)
    }

    static func describe(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }

    // MARK: cache

    /// SHA-256 of the file's bytes, the runtime (library, version), Ledge's version, the probe settings
    /// and the files beside the model that shape its probe input (``ModelSidecar``).
    func cacheKey(file: ModelFile) throws -> String {
        let runtime = try ModelLoader.runtimeIdentity(format: file.format, options: engine)
        let fileDigest = file.sha256
        var settings = "\(runtime)|threads=\(engine.session.threads ?? 0)|memory=\(memoryLimit)|ledge=\(ModelLoader.ledgeVersion)"
        for (name, path) in ModelSidecar.files(besides: file.path).sorted(by: { $0.key < $1.key }) {
            let bytes = FileManager.default.contents(atPath: path) ?? Data()
            settings += "|\(name)=\(SHA256.hash(data: bytes).lowercaseHex)"
        }
        let settingsDigest = SHA256.hash(data: Data(settings.utf8)).prefix(8).lowercaseHex
        return fileDigest + "-" + settingsDigest
    }

    private func cached(_ key: String) -> Outcome? {
        guard let directory = cacheDirectory,
            let text = try? String(contentsOfFile: directory + "/" + key, encoding: .utf8)
        else { return nil }
        if text.hasPrefix("passed ") { return .passed(peakBytes: Int(text.dropFirst(7).prefix { $0 != "\n" }) ?? 0) }
        if text.hasPrefix("failed ") { return .failed(String(text.dropFirst(7).prefix { $0 != "\n" })) }
        return nil
    }

    /// Writes the result atomically (temporary file + rename); a cache that cannot be written is skipped.
    private func store(_ outcome: Outcome, key: String) {
        guard let directory = cacheDirectory else { return }
        let text: String
        switch outcome {
        case .passed(let peak): text = "passed \(peak)\n"
        case .failed(let message): text = "failed \(message)\n"
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + key), options: .atomic)
    }
}
