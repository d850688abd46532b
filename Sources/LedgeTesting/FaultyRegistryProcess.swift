import Foundation

/// A loopback registry that fails every blob upload half-way (`scripts/faulty_registry.py`):
/// `GET /v2/` 200, blob `HEAD` 404, `POST …/blobs/uploads/` 202 with a relative `Location`, then
/// any `PATCH` or `PUT` with data gets about half of its body read and a 500
/// `{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}` with `Connection: close`.
/// Manifest `PUT`s are recorded (and answered 500) so a test can assert that a failed push
/// never wrote a manifest. No auth, plain HTTP.
///
/// Runs with `$LEDGE_HOME/venv/bin/python` when set-up made it, else `/usr/bin/python3` (the
/// script needs only the standard library). Prefer
/// ``withFaultyRegistry(isolation:_:)``, which stops it even when the test throws.
public final class FaultyRegistryProcess: @unchecked Sendable {
    /// `127.0.0.1:PORT`.
    public let host: String
    /// The server's log (its standard error): `REQUEST METHOD TARGET`, `FAILED METHOD TARGET after N bytes`,
    /// `MANIFEST-PUT TARGET` lines.
    public var logPath: String { server.stderrPath }

    private let server: BackgroundProcess
    private let directory: String
    private let lock = NSLock()
    private var stopped = false

    private init(host: String, server: BackgroundProcess, directory: String) {
        self.host = host
        self.server = server
        self.directory = directory
    }

    deinit { stop() }

    /// Starts the server on a free loopback port (it binds port 0 and prints the port) and
    /// returns once it has printed the port.
    ///
    /// `script` picks the server: `faulty_registry.py` (the default) or `token_registry.py`
    /// (a working registry behind a bearer-token service, `arguments`: `["USER:PASSWORD"]`).
    public static func start(script: String = "faulty_registry.py", arguments: [String] = []) async throws -> FaultyRegistryProcess {
        let venvPython = Fixtures.home + "/venv/bin/python"
        let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "/usr/bin/python3"
        try Tool.require(python, debianPackage: "python3")
        let directory = try makeTemporaryDirectory(prefix: "ledge-faulty-registry")
        do {
            let server = try BackgroundProcess(
                python, ["-u", Fixtures.packageRoot + "/scripts/" + script] + arguments, environment: ["PATH": "/usr/bin:/bin"],
                stdoutPath: directory + "/stdout", stderrPath: directory + "/stderr")
            var port: Int?
            _ = await waitUntil(timeout: .seconds(20)) {
                let text = BackgroundProcess.text(server.stdoutPath)
                if let line = text.split(separator: "\n", omittingEmptySubsequences: false).first, text.contains("\n") {
                    port = Int(line)
                }
                return port != nil || !server.isRunning
            }
            guard let port, server.isRunning else {
                server.stop()
                throw HarnessError("\(script) printed no port; stderr:\n\(BackgroundProcess.text(server.stderrPath))")
            }
            return FaultyRegistryProcess(host: "127.0.0.1:\(port)", server: server, directory: directory)
        } catch {
            removeTemporaryDirectory(directory)
            throw error
        }
    }

    /// Runs `body` with a started server and stops it afterwards, also when `body` throws.
    public static func withFaultyRegistry<T>(
        script: String = "faulty_registry.py", arguments: [String] = [], isolation: isolated (any Actor)? = #isolation,
        _ body: (FaultyRegistryProcess) async throws -> T
    ) async throws -> T {
        let registry = try await start(script: script, arguments: arguments)
        defer { registry.stop() }
        return try await body(registry)
    }

    /// Everything the server has logged so far.
    public func log() -> String { BackgroundProcess.text(logPath) }

    /// Every request it received, as `METHOD TARGET`, in order.
    public func requests() -> [String] { lines(after: "REQUEST ") }

    /// The uploads it failed on purpose, as `METHOD TARGET after N bytes`.
    public func failedUploads() -> [String] { lines(after: "FAILED ") }

    /// The tokens `token_registry.py` handed out, as `USER SCOPE`.
    public func tokenRequests() -> [String] { lines(after: "TOKEN ") }

    /// The requests `token_registry.py --busy` answered "later", as `METHOD PATH`.
    public func busyAnswers() -> [String] { lines(after: "BUSY ") }

    /// The targets of the manifest `PUT`s it received (`/v2/NAME/manifests/REFERENCE`).
    public func manifestPuts() -> [String] { lines(after: "MANIFEST-PUT ") }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its folder. Safe to call twice.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        server.stop()
        removeTemporaryDirectory(directory)
    }

    private func lines(after prefix: String) -> [String] {
        log().split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}
