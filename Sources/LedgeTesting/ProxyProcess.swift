import Foundation

/// A real HTTP proxy on loopback for the proxy tests: Debian's tinyproxy in the foreground on a
/// free port, allowing 127.0.0.1, `CONNECT` to any port, optionally with Basic credentials.
/// ``requests()`` lists what it was asked (`CONNECT 127.0.0.1:PORT HTTP/1.1`, or an http
/// request's absolute form). Prefer ``withProxy(credentials:isolation:_:)``, which stops it and
/// removes its folder even when the test throws.
public final class ProxyProcess: @unchecked Sendable {
    public static let executable = "/usr/bin/tinyproxy"
    public let port: Int
    private let process: BackgroundProcess
    private let directory: String

    private init(port: Int, process: BackgroundProcess, directory: String) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    /// `http://[USER:PASSWORD@]127.0.0.1:PORT`, as a proxy variable takes it.
    public func url(user: String? = nil, password: String? = nil) -> String {
        "http://" + (user.map { "\($0):\(password ?? "")@" } ?? "") + "127.0.0.1:\(port)"
    }

    /// The request lines it logged, in order (not the harness's own `GET /` that found it listening).
    public func requests() -> [String] {
        BackgroundProcess.text(directory + "/tinyproxy.log").split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "Request (file descriptor ") else { return nil }
            return line[range.upperBound...].split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }.filter { $0 != "GET / HTTP/1.1" }
    }

    public func stop() {
        process.stop()
        removeTemporaryDirectory(directory)
    }

    /// Runs `body` with a proxy (asking for `credentials` when given) and stops it afterwards.
    public static func withProxy<T>(
        credentials: (user: String, password: String)? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: (ProxyProcess) async throws -> T
    ) async throws -> T {
        try Tool.require(executable, debianPackage: "tinyproxy")
        let directory = try makeTemporaryDirectory(prefix: "ledge-proxy")
        var started: ProxyProcess?
        do {
            for _ in 0..<5 where started == nil {
                let port = try freeLoopbackPort()
                var config = "Port \(port)\nListen 127.0.0.1\nTimeout 30\nLogLevel Connect\nAllow 127.0.0.1\nMaxClients 20\n"
                if let credentials { config += "BasicAuth \(credentials.user) \(credentials.password)\n" }
                try config.write(toFile: directory + "/tinyproxy.conf", atomically: true, encoding: .utf8)
                let process = try BackgroundProcess(
                    executable, ["-d", "-c", directory + "/tinyproxy.conf"], environment: ["PATH": "/usr/bin:/bin"],
                    stdoutPath: directory + "/tinyproxy.log", stderrPath: directory + "/tinyproxy.log")
                let listening = await waitUntil(timeout: .seconds(10)) {
                    guard process.isRunning else { return true }
                    return (try? await LoopbackHTTP.request("GET", port: port, path: "/", timeout: 1)) != nil
                }
                if listening && process.isRunning {
                    started = ProxyProcess(port: port, process: process, directory: directory)
                } else {
                    process.stop()
                }
            }
        } catch {
            removeTemporaryDirectory(directory)
            throw error
        }
        guard let proxy = started else {
            let log = BackgroundProcess.text(directory + "/tinyproxy.log")
            removeTemporaryDirectory(directory)
            throw HarnessError("tinyproxy did not listen after 5 tries; log:\n\(log)")
        }
        defer { proxy.stop() }
        return try await body(proxy)
    }
}
