import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgeTesting
import Testing

/// The real `ledge serve` binary on a free loopback port (`--port 0`), for the
/// live tests: started, waited for (URL line, then `/v2/health/ready`), and
/// stopped with SIGTERM. Every wait is bounded so a hang fails instead of blocking CI.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    /// `http://127.0.0.1:PORT/v2` (`https://` with TLS) as the server printed it.
    private(set) var base = ""
    private let output: URL
    private let errors: URL

    private init() {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-serve-\(UUID().uuidString).out")
        errors = output.appendingPathExtension("err")
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: output)
        try? FileManager.default.removeItem(at: errors)
    }

    /// What the server wrote to stderr so far (its log).
    var stderr: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

    /// `HOST:PORT` of the gRPC server, from the line's `; gRPC HOST:PORT` (empty with `--no-grpc`).
    var grpcTarget: String {
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard let range = text.range(of: "; gRPC ") else { return "" }
        return String(text[range.upperBound...].prefix { !$0.isWhitespace })
    }

    /// The server's log once a line satisfying `matches` is in it, waiting at most 30 s (lines go out
    /// on the server's log thread, a moment after what they record).
    func log(whenALine matches: (Substring) -> Bool) async throws -> String {
        try await log(until: { $0.split(separator: "\n").contains(where: matches) })
    }

    /// The server's log once it satisfies `done`, waiting at most 30 s.
    func log(until done: (String) -> Bool) async throws -> String {
        for _ in 0..<300 where !done(stderr) { try await Task.sleep(for: .milliseconds(100)) }
        return stderr
    }

    /// The process id of the server.
    var pid: Int32 { process.processIdentifier }

    /// The port the server listens on.
    var port: Int { Int(base.split(separator: ":").last?.split(separator: "/").first ?? "") ?? 0 }

    /// Starts `ledge serve ARGUMENTS --port PORT` (0: a free one) and returns once `/v2/health/ready` answers 200;
    /// with `descriptorLimit`, under `ulimit -n` of that many open files (soft and hard).
    /// `launcher` runs before the executable (e.g. the dynamic loader); `environment` adds variables;
    /// `stderr`: a pipe for the server's log instead of a file (``stderr`` is then empty).
    static func start(
        _ arguments: [String], port: Int = 0, descriptorLimit: Int? = nil, launcher: [String] = [], environment: [String: String] = [:],
        stderr: Pipe? = nil
    ) async throws -> ServeProcess {
        let server = try launch(
            arguments, port: port, descriptorLimit: descriptorLimit, launcher: launcher, environment: environment, stderr: stderr)
        try await server.waitUntilReady()
        return server
    }

    /// Starts `ledge serve ARGUMENTS --port PORT` and returns at once.
    static func launch(
        _ arguments: [String], port: Int = 0, descriptorLimit: Int? = nil, launcher: [String] = [], environment: [String: String] = [:],
        stderr: Pipe? = nil
    ) throws -> ServeProcess {
        let server = ServeProcess()
        _ = FileManager.default.createFile(atPath: server.output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: server.errors.path, contents: nil)
        // With a fixed HTTP port gRPC would default to 8001, which tests running at once would share: a free one instead.
        let grpc = port == 0 || arguments.contains { $0 == "--grpc-port" || $0 == "--no-grpc" } ? [] : ["--grpc-port", "0"]
        let command = launcher + [Fixtures.ledgeExecutable, "serve"] + arguments + ["--port", String(port)] + grpc
        if !environment.isEmpty {
            server.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let descriptorLimit {
            // `exec` keeps the process id: the test reads the server's own /proc entries.
            server.process.executableURL = URL(fileURLWithPath: "/bin/sh")
            server.process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\""] + command
        } else {
            server.process.executableURL = URL(fileURLWithPath: command[0])
            server.process.arguments = Array(command.dropFirst())
        }
        server.process.standardOutput = try FileHandle(forWritingTo: server.output)
        if let stderr { server.process.standardError = stderr } else { server.process.standardError = try FileHandle(forWritingTo: server.errors) }
        server.process.standardInput = FileHandle.nullDevice
        try server.process.run()
        return server
    }

    /// Waits for the URL line, then (with `probeReady`) for `/v2/health/ready` to answer 200. Without:
    /// no connection of URLSession's stays open (tests that count connections).
    func waitUntilReady(probeReady: Bool = true) async throws {
        var url: String?
        for _ in 0..<1200 where url == nil && process.isRunning {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            // Only whole lines: a read can land in the middle of the URL line.
            let complete = text.lastIndex(of: "\n").map { String(text[...$0]) } ?? ""
            url = complete.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("http://") || $0.hasPrefix("https://") }
                .map(String.init)
            if url == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        base = try #require(url, "ledge serve printed no URL; stderr: \(stderr)")
        // URLSession would not trust a test CA; the line comes once the models are loaded and the server listens.
        if base.hasPrefix("https://") || !probeReady { return }
        let ready = try #require(URL(string: base + "/health/ready"))
        for _ in 0..<100 {
            if let (_, response) = try? await URLSession.shared.data(from: ready),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("GET \(ready) never answered 200; running: \(process.isRunning); stderr: \(stderr)")
        throw CancellationError()
    }

    /// Runs `scripts/SCRIPT --protocol P --url U ARGUMENTS` once per Triton client against this
    /// server (`tritonclient[http]` in the `venv`, `tritonclient[grpc]` in `venv-grpc`), expects
    /// it to pass, and hands `check` the protocol's name and the lines it printed.
    func runClientCheck(
        _ script: String, _ arguments: [String] = [], timeLimit: TimeInterval = 120, _ check: (_ protocolName: String, _ lines: [String]) -> Void
    ) async throws {
        for (protocolName, venv, url) in [("http", "venv", "127.0.0.1:\(port)"), ("grpc", "venv-grpc", grpcTarget)] {
            let result = try await ProcessRunner.runOffExecutor(
                Fixtures.home + "/\(venv)/bin/python",
                [Fixtures.packageRoot + "/scripts/" + script, "--protocol", protocolName, "--url", url] + arguments, timeLimit: timeLimit)
            #expect(!result.timedOut)
            #expect(result.status == 0, "\(script) --protocol \(protocolName) failed: \(result.stderr)")
            check(protocolName, result.stdout.split(separator: "\n").map(String.init))
        }
    }

    /// Sends SIGTERM and waits (at most 120 s) for the process to end.
    func terminate() async throws {
        process.terminate()
        try await waitForExit()
    }

    /// Waits (at most 120 s) for the process to end.
    func waitForExit() async throws {
        for _ in 0..<1200 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning, "ledge serve still running 120 s after SIGTERM")
    }

    /// True when the process exited by itself with status 0 (not by a signal).
    var exitedCleanly: Bool {
        !process.isRunning && process.terminationReason == .exit && process.terminationStatus == 0
    }
}

/// A model repository in a temporary folder: `DIR/NAME/FILE` for each fixture model file.
struct TemporaryRepository: ~Copyable {
    let path: String

    init(models: [String: String]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-repo-\(UUID().uuidString)").path
        for (name, file) in models {
            let folder = path + "/" + name
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.model(file), toPath: folder + "/" + file)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
