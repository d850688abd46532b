import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LedgeTesting
import Testing

/// `ledge serve --reuse-port`, `--ready-file` and `NOTIFY_SOCKET`: what `ledge deploy` needs to start a
/// new server on the port of the running one, wait until it is ready, then stop the old one, with no
/// failed request.
@Suite(.ownThread) struct HandoverTests {
    static let bindError = "Error: bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)\n"

    /// Server A (efficientnet_lite0) runs; a client sends requests without pause, each on a new
    /// connection, and tells by the model listed who answered. Server B (add) starts on A's port; once
    /// B's ready file appears every new request goes to B; A stops on SIGTERM; no request fails.
    ///
    /// With `keepAlive`, the client keeps its connection and reconnects only when a response says
    /// `Connection: close`: the draining old server answers the next request with it instead of
    /// closing a connection a request may already be on its way over.
    @Test(arguments: [false, true]) func newServerTakesOverThePortWithNoFailedRequest(keepAlive: Bool) async throws {
        let folder = try TemporaryFolder()
        let (oldReady, newReady) = (folder.path + "/a.ready", folder.path + "/b.ready")
        let old = try await ServeProcess.start([
            "--model", Fixtures.model("efficientnet_lite0.tflite"), "--instances", "1", "--reuse-port", "--ready-file", oldReady,
        ])
        let client = HandoverClient(port: old.port, keepAlive: keepAlive)
        client.start()
        try await client.waitForCount(50)

        let launched = ContinuousClock.now
        let new = try ServeProcess.launch(
            ["--model", Fixtures.model("add.onnx"), "--instances", "1", "--reuse-port", "--ready-file", newReady], port: old.port)
        var ready: ContinuousClock.Instant?
        for _ in 0..<12000 where ready == nil && new.process.isRunning {
            if FileManager.default.fileExists(atPath: newReady) { ready = .now } else { try await Task.sleep(for: .milliseconds(5)) }
        }
        let readyAt = try #require(ready, "no ready file from the new server; stderr: \(new.stderr)")
        #expect(try String(contentsOfFile: newReady, encoding: .utf8) == "\(new.process.processIdentifier)\n")
        try await client.waitForCount(client.count + 50)

        let stopping = ContinuousClock.now
        try await old.terminate()
        #expect(old.exitedCleanly, "the old server did not exit 0; stderr: \(old.stderr)")
        #expect(!FileManager.default.fileExists(atPath: oldReady))
        let stopped = ContinuousClock.now
        try await client.waitForCount(client.count + 50)
        let outcomes = await client.stop()
        try await new.terminate()
        #expect(new.exitedCleanly, "the new server did not exit 0; stderr: \(new.stderr)")
        #expect(!FileManager.default.fileExists(atPath: newReady))

        let failures = outcomes.filter { $0.failure != nil }
        #expect(failures.isEmpty, "\(failures.count) of \(outcomes.count) requests failed, e.g. \(failures.prefix(3).map { $0.failure ?? "" })")
        #expect(outcomes.contains { $0.model == "efficientnet_lite0" })
        #expect(outcomes.contains { $0.model == "add" })
        // New connections go to the new server once it is ready; a kept connection stays with the old
        // one until it drains.
        let lateToOld = outcomes.filter { $0.start > (keepAlive ? stopped : readyAt) && $0.model != "add" }
        #expect(lateToOld.isEmpty, "\(lateToOld.count) requests sent after the ready file appeared were not answered by the new server")

        // Measured, not asserted: how long the new server took to answer, and the slowest request in each phase.
        let firstNew = outcomes.first { $0.model == "add" }.map { $0.start + $0.duration - launched }
        func slowest(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant) -> String {
            let phase = outcomes.filter { $0.start >= from && $0.start < to }
            let worst = phase.map(\.duration).max() ?? .zero
            let median = phase.map(\.duration).sorted().dropFirst(phase.count / 2).first ?? .zero
            return "\(phase.count) requests, median \(median), slowest \(worst)"
        }
        print(
            """
            handover: new server launched → ready file seen \(readyAt - launched), → first answer from it \(firstNew.map { "\($0)" } ?? "none")
              before launch:       \(slowest(outcomes.first?.start ?? launched, launched))
              launch → ready:      \(slowest(launched, readyAt))
              ready → old stopped: \(slowest(readyAt, stopped)) (SIGTERM to exit \(stopped - stopping))
              after:               \(slowest(stopped, .now))
            """)
    }

    /// SO_REUSEPORT counts only when both servers set it before bind: without the flag on either, the
    /// second one fails as it always did.
    @Test(arguments: [(true, false), (false, true)])
    func secondServerWithoutTheFlagOnBothFails(first: Bool, second: Bool) async throws {
        let flag: (Bool) -> [String] = { $0 ? ["--reuse-port"] : [] }
        let server = try await ServeProcess.start(["--model", Fixtures.model("add.onnx"), "--instances", "1"] + flag(first))
        let result = try await ProcessRunner.runOffExecutor(
            Fixtures.ledgeExecutable,
            ["serve", "--model", Fixtures.model("add.onnx"), "--instances", "1", "--log-level", "warning", "--port", String(server.port)]
                + ["--grpc-port", "0"] + flag(second))
        #expect(result.status == 1)
        #expect(result.stderr == Self.bindError)
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    @Test func readyFileHoldsThePidUntilShutdown() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/ready"
        let server = try await ServeProcess.start(["--model", Fixtures.model("add.onnx"), "--instances", "1", "--ready-file", path])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "\(server.process.processIdentifier)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["ready"])  // no temporary file left
        try await server.terminate()
        #expect(server.exitedCleanly)
        #expect(!FileManager.default.fileExists(atPath: path))

        let result = try await ProcessRunner.runOffExecutor(
            Fixtures.ledgeExecutable, ["serve", "--model", Fixtures.model("add.onnx"), "--ready-file", "/nonexistent/x/ready"])
        #expect(result.status == 3)
        #expect(result.stderr == "error: --ready-file /nonexistent/x/ready: directory not found: /nonexistent/x\n")
    }

    /// systemd's notify protocol, to a socket named by a path and to one in the abstract namespace.
    @Test(arguments: [false, true])
    func notifySocketGetsReadyThenStopping(abstract: Bool) async throws {
        let folder = try TemporaryFolder()
        let socket = try NotifySocket(name: abstract ? "@ledge-notify-\(UUID().uuidString)" : folder.path + "/notify")
        let server = try await ServeProcess.start(
            ["--model", Fixtures.model("add.onnx"), "--instances", "1"], environment: ["NOTIFY_SOCKET": socket.name])
        #expect(try await socket.receive() == "READY=1\nMAINPID=\(server.process.processIdentifier)")
        try await server.terminate()
        #expect(server.exitedCleanly)
        #expect(try await socket.receive() == "STOPPING=1")
    }
}

/// Requests without pause from a thread of its own, each on a new connection (`Connection: close`):
/// `POST /v2/repository/index`, whose answer names the model of the server that answered.
final class HandoverClient: @unchecked Sendable {
    struct Outcome {
        var start: ContinuousClock.Instant
        var duration: Duration
        var model: String?
        var failure: String?
    }

    private let port: Int
    private let lock = NSLock()
    private var outcomes: [Outcome] = []
    private var stopping = false
    private var finished = false

    private let keepAlive: Bool
    private var connection: RawConnection?

    init(port: Int, keepAlive: Bool = false) {
        self.port = port
        self.keepAlive = keepAlive
    }

    var count: Int { lock.withLock { outcomes.count } }

    func start() {
        Thread {
            while !self.lock.withLock({ self.stopping }) {
                let outcome = self.request()
                self.lock.withLock { self.outcomes.append(outcome) }
            }
            self.lock.withLock { self.finished = true }
        }.start()
    }

    /// Waits (at most 60 s) until `count` requests are done.
    func waitForCount(_ count: Int) async throws {
        for _ in 0..<6000 where self.count < count { try await Task.sleep(for: .milliseconds(10)) }
        #expect(self.count >= count, "the client made only \(self.count) requests in 60 s")
    }

    /// Stops after the request in progress and returns every outcome.
    func stop() async -> [Outcome] {
        lock.withLock { stopping = true }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
        return lock.withLock { outcomes }
    }

    private func request() -> Outcome {
        let start = ContinuousClock.now
        var outcome = Outcome(start: start, duration: .zero)
        do {
            let connection = try self.connection ?? RawConnection(port: port)
            let bytes: [UInt8]
            let closed: Bool
            if keepAlive {
                connection.send("POST /v2/repository/index HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
                let (received, complete) = connection.receiveResponse(timeout: .seconds(30))
                (bytes, closed) = (received, !complete)
                let ending = RawConnection.parse(received)?.headers["connection"]?.lowercased() == "close"
                self.connection = complete && !ending ? connection : nil
            } else {
                connection.send("POST /v2/repository/index HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                (bytes, closed) = connection.receiveAll(timeout: .seconds(30))
            }
            let response = RawConnection.parse(bytes)
            let entries = response.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [[String: Any]] }
            if response?.status == 200, let name = entries?.first?["name"] as? String {
                outcome.model = name
            } else {
                outcome.failure = "closed: \(closed), received: \(String(decoding: bytes, as: UTF8.self))"
            }
        } catch {
            self.connection = nil
            outcome.failure = "connect: \(error)"
        }
        outcome.duration = .now - start
        return outcome
    }
}

/// An AF_UNIX datagram socket for `NOTIFY_SOCKET`: a path, or `@NAME` in the abstract namespace.
final class NotifySocket {
    let name: String
    private let descriptor: Int32

    init(name: String) throws {
        self.name = name
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if name.hasPrefix("@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (name.hasPrefix("@") ? 0 : 1))
        let result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard descriptor >= 0, result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
    }

    deinit {
        close(descriptor)
        if !name.hasPrefix("@") { unlink(name) }
    }

    /// The next datagram, or nil after 60 s (polled: a blocking wait would hold one of the test executor's threads).
    func receive() async throws -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        var waits = 0
        while poll(&poller, 1, 0) == 0, waits < 6000 {
            try await Task.sleep(for: .milliseconds(10))
            waits += 1
        }
        guard poller.revents & Int16(POLLIN) != 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

/// A temporary folder, removed with everything in it.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-handover-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
