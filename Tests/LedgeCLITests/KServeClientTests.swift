import Foundation
import LedgeTesting
import Testing

/// KServe's own Python client (`kserve.InferenceRESTClient`, pinned in
/// scripts/requirements-kserve.txt, its own venv) against the real `ledge serve`
/// binary serving two models given as repeated `-m`, over KServe's V2 protocol and its v1
/// (TensorFlow Serving's rows and columns), and V2 over gRPC with `kserve.InferenceGRPCClient`:
/// scripts/check_kserve.py.
@Suite(.ownThread) struct KServeClientTests {
    @Test func kserveClientChecksPassAgainstTwoRepeatedModels() async throws {
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("efficientnet_lite0.tflite"), "--name", "efficientnet_lite0",
            "-m", Fixtures.model("add.onnx"), "--name", "add", "--no-probe",
        ])
        let python = Fixtures.home + "/venv-kserve/bin/python"
        let arguments = [
            Fixtures.packageRoot + "/scripts/check_kserve.py", "--url", "http://127.0.0.1:\(server.port)",
            "--fixtures", Fixtures.home + "/fixtures", "--model", "efficientnet_lite0:efficientnet", "--model", "add:add",
            "--grpc-target", server.grpcTarget,
        ]
        let result = try await ProcessRunner.runOffExecutor(python, arguments, timeLimit: 300)
        #expect(!result.timedOut)
        #expect(result.status == 0, "check_kserve.py failed: \(result.stderr)")
        #expect(result.stderr == "")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for line in [
            "ok: is_server_live: True",
            "ok: is_server_ready: True",
            "ok: is_model_ready(efficientnet_lite0): True",
            "ok: model metadata(efficientnet_lite0): platform tflite, inputs [('images', 'UINT8', [1, 224, 224, 3])], outputs [('Softmax', 'UINT8', [1, 1000])]",
            "ok: is_model_ready(add): True",
            "ok: model metadata(add): platform onnxruntime_onnx, inputs [('a', 'FP32', [-1, 4]), ('b', 'FP32', [-1, 4])], outputs [('sum', 'FP32', [-1, 4])]",
            "ok: infer(add, JSON): FP32 [2, 4], id echoed, exactly a + b",
            "ok: infer(add, binary): FP32 [2, 4], id echoed, exactly a + b",
            "ok: is_model_ready(no_such_model): False",
            // KServe's v1 protocol (TF Serving's rows and columns) with the same client.
            "ok: v1 predict(add): 2 instances of {'a', 'b'}, predictions exactly a + b; the same as columns ('inputs'), outputs exactly a + b",
            // KServe's V2 over gRPC with its InferenceGRPCClient.
            "ok: grpc infer(add, raw): FP32 [2, 4], id echoed, exactly a + b",
            "ok: grpc infer(add, typed): FP32 [2, 4], id echoed, exactly a + b",
            "ok: grpc infer(no_such_model): StatusCode.NOT_FOUND \"unknown model 'no_such_model'\"",
            "ok: v1 errors: is_model_ready(no_such_model) 404 \"unknown model 'no_such_model'\", signature_name 'predict' 400, explain 501 (no explainer, as KServe's model server)",
            "all kserve checks passed",
        ] {
            #expect(lines.contains(line), "missing line: \(line)\n\(result.stdout)")
        }
        for prefix in [
            "ok: infer(efficientnet_lite0, JSON): UINT8 [1, 1000], id echoed, within ",
            "ok: infer(efficientnet_lite0, binary): UINT8 [1, 1000], id echoed, within ",
            "ok: infer(no_such_model): HTTPStatusError \"unknown model 'no_such_model'",
            "ok: v1 predict(efficientnet_lite0): numbers within ",
            "ok: grpc infer(efficientnet_lite0, raw): UINT8 [1, 1000], id echoed, within ",
            "ok: grpc infer(efficientnet_lite0, typed): UINT8 [1, 1000], id echoed, within ",
        ] {
            #expect(lines.contains { $0.hasPrefix(prefix) }, "missing line: \(prefix)…")
        }
        try await server.terminate()
        #expect(server.exitedCleanly, "ledge serve did not exit 0 on SIGTERM; stderr: \(server.stderr)")
    }
}
