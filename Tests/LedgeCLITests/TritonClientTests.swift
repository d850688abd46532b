import Foundation
import LedgeTesting
import Testing

/// The real Python `tritonclient[http]` (pinned in scripts/requirements.txt) against
/// the real `ledge serve` binary: scripts/check_tritonclient.py on a loopback port.
@Suite(.ownThread) struct TritonClientTests {
    @Test func tritonClientChecksPassAgainstLedgeServe() async throws {
        let repository = try TemporaryRepository(models: [
            "efficientnet_lite0": "efficientnet_lite0.tflite", "mobilenet_gen": "mobilenet_gen.onnx",
        ])
        let server = try await ServeProcess.start(["--model-repository", repository.path])
        let python = Fixtures.home + "/venv/bin/python"
        let arguments = [
            Fixtures.packageRoot + "/scripts/check_tritonclient.py",
            "--url", server.base, "--fixtures", Fixtures.home + "/fixtures",
        ]
        let result = try await ProcessRunner.runOffExecutor(python, arguments, timeLimit: 600)
        #expect(!result.timedOut)
        #expect(result.status == 0, "check_tritonclient.py failed: \(result.stderr)")
        #expect(result.stderr == "")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("ok: ") }.count == 25)
        // Compressed requests and responses (request_/response_compression_algorithm), JSON and binary.
        for coding in ["gzip", "deflate"] {
            for form in ["JSON", "binary"] {
                let prefix = "ok: infer(mobilenet_gen, \(form), \(coding)): FP32 [2, 1000], max abs difference "
                #expect(lines.contains { $0.hasPrefix(prefix) }, "missing line: \(prefix)…")
            }
        }
        // The classification extension (class_count=3): chelsea's top class, as JSON and as binary BYTES.
        for form in ["JSON", "binary"] {
            let line = lines.first { $0.hasPrefix("ok: classification efficientnet_lite0 (\(form)): top 3 ['") } ?? ""
            #expect(line.contains(":285:Egyptian cat', '"), "\(line)")
        }
        #expect(lines.last == "all tritonclient checks passed")
        for line in [
            "ok: is_server_live",
            "ok: is_server_ready",
            "ok: get_model_metadata(efficientnet_lite0): platform tflite, inputs [('images', 'UINT8', [1, 224, 224, 3])], outputs [('Softmax', 'UINT8', [1, 1000])]",
            "ok: is_model_ready(efficientnet_lite0)",
            "ok: get_model_metadata(mobilenet_gen): platform onnxruntime_onnx, inputs [('input', 'FP32', [-1, 3, 224, 224])], outputs [('output', 'FP32', [-1, 1000])]",
            "ok: is_model_ready(mobilenet_gen)",
            // Encoded images as a BYTES input (the server decodes them).
            "ok: infer(efficientnet_lite0, a PNG as BYTES in binary data): the Softmax of Pillow's 224x224 UINT8 tensor, equal",
            "ok: infer(efficientnet_lite0, a PNG as base64 in JSON data, content_type base64): the same Softmax",
            #"ok: infer(efficientnet_lite0, BYTES in JSON data): 400 'input \'images\': encoded images go in binary data (parameters.binary_data_size), as base64 strings with parameters.content_type "base64", or in gRPC\'s raw_input_contents or contents.bytes_contents'"#,
            #"ok: infer(efficientnet_lite0, content_type base64 of no base64): 400 'input \'images\': data[0] is not a base64 string (parameters.content_type "base64")'"#,
            #"ok: unknown model: InferenceServerException 404 "unknown model 'no_such_model'""#,
            // The statistics extension counts what the checks before it sent.
            "ok: get_inference_statistics(mobilenet_gen): version 1, 6 requests, 12 inferences, 6 executions, batch sizes [2], 0 failed",
            "ok: get_inference_statistics(): efficientnet_lite0, mobilenet_gen",
            // The logging extension.
            "ok: log settings: log_error=True, log_file=, log_format=default, log_info=True, log_verbose_level=0, log_warning=True; verbose 1 and back",
        ] {
            #expect(lines.contains(line), "missing line: \(line)")
        }
        for prefix in [
            "ok: get_server_metadata: name ledge, version ",
            "ok: infer(efficientnet_lite0, JSON): UINT8 [1, 1000], id echoed, within ",
            "ok: infer(efficientnet_lite0, binary): UINT8 [1, 1000], id echoed, within ",
            "ok: infer(mobilenet_gen, JSON): FP32 [2, 1000], id echoed, max abs difference ",
            "ok: infer(mobilenet_gen, binary): FP32 [2, 1000], id echoed, max abs difference ",
        ] {
            #expect(lines.contains { $0.hasPrefix(prefix) }, "missing line: \(prefix)…")
        }

        try await server.terminate()
        #expect(server.exitedCleanly, "ledge serve did not exit 0 on SIGTERM; stderr: \(server.stderr)")
    }
}
