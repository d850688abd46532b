import Foundation
import LedgeTesting
import Testing

/// Triton's model repository extension of the real `ledge serve --model-control-mode explicit`,
/// used by the real Triton clients (`tritonclient[http]` and `tritonclient[grpc]`, each in its
/// venv): the index, load_model (with a config sent with the call, and without), unload_model, files
/// refused (scripts/check_repository.py).
@Suite(.ownThread) struct RepositoryClientTests {
    @Test func tritonClientsLoadAndUnloadModels() async throws {
        try await withTemporaryDirectory(prefix: "ledge-repository-client") { folder in
            try Fixtures.makeModel(folder)
            // No model loaded at start: the server listens but is not ready (no model to serve).
            let server = try ServeProcess.launch(["--model-repository", folder, "--model-control-mode", "explicit", "--no-probe"])
            try await server.waitUntilReady(probeReady: false)
            try await server.runClientCheck("check_repository.py") { protocolName, lines in
                let bad = protocolName == "http" ? "400" : "StatusCode.INVALID_ARGUMENT"
                for line in [
                    "ok: \(protocolName): load_model(add): ready, infer exactly a + a, index READY",
                    "ok: \(protocolName): load_model(add, config=…): max_batch_size 2 in get_model_config, a batch of 2 served, 3 refused: "
                        + "InferenceServerException \(bad) \"input 'a' has a batch of 3: model 'add' takes at most 2 items a request (max_batch_size in its config.pbtxt)\"",
                    "ok: \(protocolName): load_model(add, config=KIND_GPU): InferenceServerException \(bad) \"load parameter 'config': instance_group[0].kind KIND_GPU "
                        + "is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)\"; what served goes on; files=…: "
                        + "InferenceServerException \(bad) \"load parameter 'file:1/model.onnx' is not supported: the model is loaded from its repository folder\"",
                    "ok: \(protocolName): load_model(add) without a config: the folder's again (max_batch_size 8)",
                    "ok: \(protocolName): unload_model(add) (unload_dependents sent): not ready, index UNAVAILABLE",
                    "all \(protocolName) repository checks passed",
                ] {
                    #expect(lines.contains(line), "missing line: \(line)\n\(lines.joined(separator: "\n"))")
                }
            }
            try await server.terminate()
            #expect(server.exitedCleanly, "ledge serve did not exit 0 on SIGTERM; stderr: \(server.stderr)")
        }
    }
}
