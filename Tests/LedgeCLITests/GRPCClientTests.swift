import Foundation
import LedgeTesting
import Testing

/// The real `ledge serve` binary over gRPC, checked with Triton's own gRPC client
/// (`tritonclient[grpc]`, pinned in scripts/requirements-grpc.txt, its own venv) and with
/// Python grpcio directly: scripts/check_grpc.py.
@Suite(.ownThread) struct GRPCClientTests {
    static let python = Fixtures.home + "/venv-grpc/bin/python"
    static let script = Fixtures.packageRoot + "/scripts/check_grpc.py"
    static let maxBody = 6_000_000

    static func start() async throws -> ServeProcess {
        try await ServeProcess.start([
            "-m", Fixtures.model("efficientnet_lite0.tflite"), "-m", Fixtures.model("mobilenet_gen.onnx"), "-m", Fixtures.model("add.onnx"),
            "--no-probe", "--max-body-size", String(maxBody),
        ])
    }

    @Test func tritonclientAndGrpcioChecksPass() async throws {
        let server = try await Self.start()
        let target = server.grpcTarget
        #expect(target.hasPrefix("127.0.0.1:") && target != "127.0.0.1:8001", "with --port 0, gRPC takes a free port: \(target)")
        let result = try await ProcessRunner.runOffExecutor(
            Self.python, [Self.script, "--target", target, "--fixtures", Fixtures.home + "/fixtures", "--malformed", String(Self.maxBody)],
            timeLimit: 300)
        #expect(!result.timedOut)
        #expect(result.status == 0, "check_grpc.py failed: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for line in [
            "ok: live, ready; server metadata: name ledge, extensions binary_tensor_data, classification, model_repository, schedule_policy, statistics, trace, logging",
            "ok: model efficientnet_lite0: ready, platform tflite, inputs [('images', 'UINT8', [1, 224, 224, 3])]",
            "ok: model mobilenet_gen: ready, platform onnxruntime_onnx, inputs [('input', 'FP32', [-1, 3, 224, 224])]",
            "ok: stream: 20 requests answered in order, ids matching, each exactly a + b; triton_final_response on the 10 that asked",
            "ok: get_inference_statistics(mobilenet_gen): version 1, 3 requests, 6 inferences, 3 executions, batch sizes [2], 0 failed",
            "ok: get_inference_statistics(): add, efficientnet_lite0, mobilenet_gen",
            "ok: log settings: log_error=True, log_file=, log_format=default, log_info=True, log_verbose_level=0, log_warning=True; verbose 1 and back",
            "ok: unknown model: InferenceServerException StatusCode.NOT_FOUND \"unknown model 'no_such_model'\"",
            "ok: encoded images refused, INVALID_ARGUMENT: two images for a batch of one: \"input 'images': 2 encoded images make a tensor "
                + "of shape [2, 224, 224, 3], the model expects [1, 224, 224, 3]\"; not an image: \"input 'images': not a JPEG or PNG image\"; "
                + "a truncated JPEG: \"input 'images': corrupt or truncated JPEG (Premature end of JPEG file)\"; "
                + "a model without an image input: \"input 'a': datatype BYTES does not match the model: expected FP32\"",
            "ok: malformed (raw contents of the wrong size): INVALID_ARGUMENT \"input 'a': raw_input_contents[0] holds 12 bytes but shape [1, 4] of FP32 needs 16\"; still live",
            "ok: malformed (raw and typed contents): INVALID_ARGUMENT \"input 'a' has contents while the request has raw_input_contents: expected one or the other\"; still live",
            "ok: malformed (wrong datatype): INVALID_ARGUMENT \"input 'a': datatype INT32 does not match the model: expected FP32\"; still live",
            "ok: malformed (missing input): INVALID_ARGUMENT \"model 'add' expects input 'b', missing from 'inputs'\"; still live",
            "ok: malformed (oversized message): RESOURCE_EXHAUSTED 'request message of 6000059 bytes exceeds the limit of 6000000 bytes (--max-body-size)'; still live",
            "ok: malformed (message over twice the limit): CANCELLED 'Received RST_STREAM with error code 8'; still live",
            "ok: malformed (gzip message that inflates past the limit): RESOURCE_EXHAUSTED 'request message of 6000059 bytes exceeds the limit of 6000000 bytes (--max-body-size)'; still live",
            "ok: malformed (gzip message that inflates past twice the limit): CANCELLED 'Received RST_STREAM with error code 8'; still live",
            "all gRPC checks passed",
        ] {
            #expect(lines.contains(line), "missing line: \(line)\n\(result.stdout)")
        }
        for prefix in [
            "ok: infer(efficientnet_lite0, raw): UINT8 [1, 1000], id echoed, within ",
            "ok: infer(mobilenet_gen, raw, batch 2): FP32 [2, 1000], id echoed, max abs difference ",
            "ok: encoded images (BYTES): chelsea.png equal to Pillow's 224x224 UINT8 tensor, raw and typed; chelsea.jpg top 0.",
            "ok: classification (class_count=3): top 3 ['0.773438:285:Egyptian cat', ",
            "ok: infer(mobilenet_gen, gzip): FP32 [2, 1000], max abs difference ",
            "ok: infer(mobilenet_gen, deflate): FP32 [2, 1000], max abs difference ",
        ] {
            #expect(lines.contains { $0.hasPrefix(prefix) }, "missing line: \(prefix)…\n\(result.stdout)")
        }
        // The same metrics as HTTP, under protocol="grpc"; every log line of a call has its request id.
        let metrics = try String(contentsOf: URL(string: "http://127.0.0.1:\(server.port)/metrics")!, encoding: .utf8)
        #expect(metrics.contains(#"ledge_inference_request_success_total{model="add",version="1",protocol="grpc"} 20"#))
        // 4 malformed requests and the encoded image refused for a model without an image input.
        #expect(metrics.contains(#"ledge_inference_request_failure_total{model="add",version="1",protocol="grpc",reason="client"} 5"#))
        #expect(metrics.contains(#"ledge_inference_request_failure_total{model="no_such_model""#) == false)
        try await server.terminate()
        #expect(server.exitedCleanly, "ledge serve did not exit 0 on SIGTERM; stderr: \(server.stderr)")
        let calls = server.stderr.split(separator: "\n").filter { $0.contains("protocol=grpc") }
        #expect(calls.count > 30)
        #expect(calls.allSatisfy { $0.contains(" request_id=") })
        // …and names the client's address as the HTTP lines do.
        #expect(calls.allSatisfy { $0.hasPrefix("info: request client=127.0.0.1:") }, "\(calls.prefix(3))")
    }

    /// SIGTERM (sent by the script) while a stream and unary calls are in flight: all complete, then the server exits 0.
    @Test func sigtermLetsStreamsAndCallsInFlightFinish() async throws {
        let server = try await Self.start()
        let result = try await ProcessRunner.runOffExecutor(
            Self.python,
            [
                Self.script, "--target", server.grpcTarget, "--fixtures", Fixtures.home + "/fixtures", "--shutdown", String(server.pid),
                "--metrics", "http://127.0.0.1:\(server.port)/metrics",
            ],
            timeLimit: 300)
        #expect(result.status == 0, "check_grpc.py --shutdown failed: \(result.stderr)\nserver: \(server.stderr)")
        #expect(result.stdout.contains("ok: shutdown: SIGTERM with a stream and "), "\(result.stdout)")
        #expect(result.stdout.contains(" of 4 unary calls in flight; 20 stream answers in order and 4 unary answers"), "\(result.stdout)")
        try await server.waitForExit()
        #expect(server.exitedCleanly, "ledge serve did not exit 0 after SIGTERM; stderr: \(server.stderr)")
    }

    /// A stream a client leaves open cannot hold the server up: it is answered while the server
    /// drains, then closed at `--exit-timeout-secs`, and the server exits 0.
    @Test func aStreamLeftOpenEndsAtTheExitTimeout() async throws {
        let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--exit-timeout-secs", "2"])
        let result = try await ProcessRunner.runOffExecutor(
            Self.python, [Self.script, "--target", server.grpcTarget, "--shutdown", String(server.pid), "--exit-timeout", "2"],
            timeLimit: 300)
        #expect(result.status == 0, "check_grpc.py --exit-timeout failed: \(result.stderr)\nserver: \(server.stderr)")
        #expect(
            result.stdout.contains(
                "ok: exit timeout: a stream left open at SIGTERM was answered while draining, then ended UNAVAILABLE with the reason and the server gone after --exit-timeout-secs 2"
            ), "\(result.stdout)")
        try await server.waitForExit()
        #expect(server.exitedCleanly, "ledge serve did not exit 0 after SIGTERM; stderr: \(server.stderr)")
        #expect(
            server.stderr.contains(
                "notice: shutting down: not ready, no new connections; requests, calls and streams in flight get 2 s to finish"))
    }
}

/// `--reuse-port` shares the gRPC port too: a replacement binds it beside the running server, new
/// gRPC connections go to the replacement, and it keeps serving once the old one stops.
@Suite(.ownThread) struct GRPCHandoverTests {
    static func readyModels(_ target: String) async throws -> String {
        let check = """
            import sys, tritonclient.grpc as g
            c = g.InferenceServerClient(sys.argv[1])
            print(c.is_model_ready("efficientnet_lite0"), c.is_model_ready("add"))
            """
        let result = try await ProcessRunner.runOffExecutor(GRPCClientTests.python, ["-c", check, target], timeLimit: 60)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test func aReplacementTakesOverTheGRPCPort() async throws {
        let old = try await ServeProcess.start([
            "--model", Fixtures.model("efficientnet_lite0.tflite"), "--instances", "1", "--no-probe", "--reuse-port",
        ])
        let target = old.grpcTarget
        let port = try #require(target.split(separator: ":").last.map(String.init))
        #expect(try await Self.readyModels(target) == "True False\n")
        let new = try await ServeProcess.start([
            "--model", Fixtures.model("add.onnx"), "--instances", "1", "--no-probe", "--reuse-port", "--grpc-port", port,
        ])
        #expect(new.grpcTarget == target)
        #expect(try await Self.readyModels(target) == "False True\n")
        try await old.terminate()
        #expect(old.exitedCleanly, "\(old.stderr)")
        #expect(try await Self.readyModels(target) == "False True\n")
        try await new.terminate()
        #expect(new.exitedCleanly, "\(new.stderr)")
    }
}
