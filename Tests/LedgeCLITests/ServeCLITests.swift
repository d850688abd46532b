import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgeTesting
import Testing

/// The real `ledge serve` process on a free loopback port.
@Suite(.ownThread) struct ServeCLITests {
    @Test func servesThenStopsGracefullyOnSIGTERM() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-serve-\(UUID().uuidString).out")
        let errors = output.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.ledgeExecutable)
        process.arguments = ["serve", "--model", Fixtures.model("add.onnx"), "--port", "0", "--log-level", "debug"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The URL line, once the server listens (a hang fails after 60 s instead of blocking CI).
        var url: String?
        for _ in 0..<600 where url == nil {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            // Only whole lines: a read can land in the middle of the URL line.
            let complete = text.lastIndex(of: "\n").map { String(text[...$0]) } ?? ""
            url = complete.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("http://") }.map(String.init)
            if url == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let base = try #require(url, "no URL printed: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
        #expect(base.hasPrefix("http://127.0.0.1:"))
        #expect(base.hasSuffix("/v2"))
        // Default flags: a 1-thread instance per core and one with a thread per core (see InstancePlan).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let plan = cores > 1 ? "\(cores) × 1 thread + 1 × \(cores) threads" : "1 × 1 thread"
        #expect((try? String(contentsOf: output, encoding: .utf8))?.contains("/v2 (\(plan) per model); web page") == true)

        let ready = try #require(URL(string: base + "/health/ready"))
        // Readiness is polled, as orchestrators do; connection errors retry for up to 10 s.
        var response: URLResponse?
        var lastError: (any Error)?
        for _ in 0..<50 where response == nil {
            do {
                (_, response) = try await URLSession.shared.data(from: ready)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        guard let response else {
            let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            Issue.record("GET \(ready) failed: \(String(describing: lastError)); server running: \(process.isRunning); stderr: \(log)")
            return
        }
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let (body, _) = try await URLSession.shared.data(from: try #require(URL(string: base + "/models/add")))
        #expect(String(decoding: body, as: UTF8.self).contains(#""platform":"onnxruntime_onnx""#))

        process.terminate()  // SIGTERM
        for _ in 0..<600 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test func serveUsageErrors() throws {
        var result = try ProcessRunner.ledge(["serve"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("give either --model PATH (repeatable), --model-repository DIR or --model-uri URI"))
        result = try ProcessRunner.ledge(["serve", "--model", "/nonexistent/m.onnx", "--port", "0"])
        #expect(result.status == 3)
        #expect(result.stderr == "error: model file not found: /nonexistent/m.onnx\n")
        result = try ProcessRunner.ledge(["serve", "--model", Fixtures.model("add.onnx"), "--name", "../x", "--port", "0"])
        #expect(result.status == 2)
        #expect(result.stderr == "error: model name '../x' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')\n")
    }

    @Test func grpcPortUsageErrors() throws {
        let add = Fixtures.model("add.onnx")
        for (arguments, message) in [
            (["--port", "0", "--grpc-port", "70000"], "--grpc-port must be between 0 and 65535, got 70000"),
            (["--port", "0", "--grpc-port", "0", "--no-grpc"], "--grpc-port and --no-grpc go against each other: give one"),
            (
                ["--port", "0", "--no-grpc", "--no-grpc-reflection"],
                "--no-grpc-reflection is for the gRPC server, which --no-grpc turns off: give one"
            ),
            (["--port", "8001"], "--port 8001 is the default gRPC port: give --grpc-port PORT or --no-grpc"),
            (
                ["--port", "0", "--no-grpc", "--grpc-max-connection-age", "60000"],
                "--grpc-max-connection-age is for the gRPC server, which --no-grpc turns off: give one"
            ),
            (
                ["--port", "0", "--grpc-keepalive-time", "999"],
                "--grpc-keepalive-time must be between 1000 and 2147483647 milliseconds, got 999"
            ),
            (
                ["--port", "0", "--grpc-http2-min-recv-ping-interval-without-data=-1"],
                "--grpc-http2-min-recv-ping-interval-without-data must be between 0 and 2147483647 milliseconds, got -1"
            ),
            (
                ["--port", "0", "--grpc-infer-response-compression-level", "max"],
                "The value 'max' is invalid for '--grpc-infer-response-compression-level <none|low|med|high>'. Please provide one of 'none', 'low', 'med' or 'high'."
            ),
            (
                ["--port", "0", "--grpc-keepalive-permit-without-calls", "yes"],
                "The value 'yes' is invalid for '--grpc-keepalive-permit-without-calls <0|1>'"
            ),
        ] {
            let result = try ProcessRunner.ledge(["serve", "--model", add] + arguments)
            #expect(result.status == 2)
            #expect(result.stderr.hasPrefix("Error: \(message)\n"), "\(result.stderr)")
        }
        let same = try ProcessRunner.ledge(["serve", "--model", add, "--port", "9000", "--grpc-port", "9000"])
        #expect(same.status == 2)
        #expect(same.stderr.hasPrefix("Error: --grpc-port 9000 is also --port: expected another port for gRPC\n"), "\(same.stderr)")
    }

    /// A gRPC port another server holds: one line naming it, exit 4, and the HTTP server stops too.
    @Test func aTakenGRPCPortFailsTheServerWithOneLine() async throws {
        let first = try await ServeProcess.start(["--model", Fixtures.model("add.onnx"), "--no-probe"])
        let port = try #require(first.grpcTarget.split(separator: ":").last.map(String.init))
        let second = try ProcessRunner.ledge(["serve", "--model", Fixtures.model("add.onnx"), "--no-probe", "--port", "0", "--grpc-port", port])
        #expect(second.status == 4)
        // The one error line; an instance that was opening as the server stopped may still log after it.
        let errors = second.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors == ["error: gRPC server: cannot listen on 127.0.0.1:\(port) (Address already in use)"], "\(second.stderr)")
        #expect(!second.stdout.contains("ledge serve:"), "ready though gRPC could not listen: \(second.stdout)")
        // --no-grpc: HTTP only, and the line says nothing of gRPC.
        let httpOnly = try await ServeProcess.start(["--model", Fixtures.model("add.onnx"), "--no-probe", "--no-grpc"])
        #expect(httpOnly.grpcTarget == "")
        try await httpOnly.terminate()
        try await first.terminate()
        #expect(first.exitedCleanly)
    }

    @Test func modelControlAndURIUsageErrors() throws {
        let add = Fixtures.model("add.onnx")
        for (arguments, message) in [
            (["--model", add, "--load-model", "add"], "--load-model needs --model-control-mode explicit (the none mode loads every model)"),
            (["--model", add, "--repository-poll-secs", "0"], "--repository-poll-secs must be more than 0 and at most 86400, got 0.0"),
            (["--model", add, "--heap-release-idle-secs=-1"], "--heap-release-idle-secs must be 0 (never) or from 0.01 to 86400, got -1.0"),
            (["--model", add, "--heap-release-idle-secs", "0.0001"], "--heap-release-idle-secs must be 0 (never) or from 0.01 to 86400, got 0.0001"),
            (
                ["--model-repository", "/tmp", "--model-uri", "file://\(add)"],
                "--model-uri serves fetched models beside --model files, not beside --model-repository: put the URI in the model's config.pbtxt (parameters uri)"
            ),
        ] {
            let result = try ProcessRunner.ledge(["serve"] + arguments + ["--port", "0"])
            #expect(result.status == 2)
            #expect(result.stderr.hasPrefix("Error: \(message)\n"), "\(result.stderr)")
        }
        let missing = try ProcessRunner.ledge([
            "serve", "--model-repository", Fixtures.home + "/fixtures", "--model-control-mode", "explicit", "--load-model", "nothing", "--port", "0",
        ])
        #expect(missing.status == 2)
        #expect(
            missing.stderr.hasPrefix("error: --load-model nothing: no model folder 'nothing' in the repository: expected one of "),
            "\(missing.stderr)")
    }
}
