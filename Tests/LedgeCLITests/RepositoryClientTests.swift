import Foundation
import FoundationNetworking
import LedgeTesting
import Testing

/// Triton's model repository extension of the real `ledge serve --model-control-mode explicit`,
/// used by the real Triton clients (`tritonclient[http]` and `tritonclient[grpc]`, each in its
/// venv): the index, load_model (with a config sent with the call, with model files, and without),
/// unload_model (scripts/check_repository.py); the pushed files removed by the server.
@Suite(.ownThread) struct RepositoryClientTests {
    @Test func tritonClientsLoadAndUnloadModels() async throws {
        try await withTemporaryDirectory(prefix: "ledge-repository-client") { folder in
            try Fixtures.makeModel(folder + "/repository")
            // No model loaded at start: the server listens but is not ready (no model to serve).
            let cache = folder + "/cache"
            let server = try ServeProcess.launch([
                "--model-repository", folder + "/repository", "--model-control-mode", "explicit", "--no-probe", "--model-cache", cache,
            ])
            try await server.waitUntilReady(probeReady: false)
            try await server.runClientCheck("check_repository.py", ["--add-one", Fixtures.model("add_one.onnx")]) { protocolName, lines in
                let bad = protocolName == "http" ? "400" : "StatusCode.INVALID_ARGUMENT"
                for line in [
                    "ok: \(protocolName): load_model(add): ready, infer exactly a + a, index READY",
                    "ok: \(protocolName): load_model(add, config=…): max_batch_size 2 in get_model_config, a batch of 2 served, 3 refused: "
                        + "InferenceServerException \(bad) \"input 'a' has a batch of 3: model 'add' takes at most 2 items a request (max_batch_size in its config.pbtxt)\"",
                    "ok: \(protocolName): load_model(add, config=KIND_GPU): InferenceServerException \(bad) \"load parameter 'config': instance_group[0].kind KIND_GPU "
                        + "is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)\"; what served goes on",
                    "ok: \(protocolName): load_model(add, config=Triton's own dump): max_batch_size 4, a batch of 4 served; with the response cache on: "
                        + "InferenceServerException \(bad) \"load parameter 'config': field 'response_cache.enable' is true: expected false "
                        + "(ledge takes Triton's 'response_cache' only when it is off)\"",
                    "ok: \(protocolName): load_model(add, config=…, files=add_one.onnx): served a + b + 1 with the config's max_batch_size 4; "
                        + "pushed_\(protocolName), not in the repository, loaded from its files, index READY",
                    "ok: \(protocolName): broken files: InferenceServerException \(bad) \"file:1/model.onnx: not a TFLite or ONNX model (expected 'TFL3' "
                        + "at bytes 4-7 or an ONNX protobuf); it looks like a text file\"; what served goes on; files without a config: "
                        + "InferenceServerException \(bad) \"load parameter 'file:1/model.onnx' needs the load's 'config' parameter: files sent with a load "
                        + "form the model's folder, and its configuration comes as JSON in 'config'\"",
                    "ok: \(protocolName): load_model(add) without files: the folder's a + b again; unload_model(pushed_\(protocolName)): not ready",
                    "ok: \(protocolName): load_model(add) without a config: the folder's again (max_batch_size 8)",
                    "ok: \(protocolName): unload_model(add) (unload_dependents sent): not ready, index UNAVAILABLE",
                    "all \(protocolName) repository checks passed",
                ] {
                    #expect(lines.contains(line), "missing line: \(line)\n\(lines.joined(separator: "\n"))")
                }
            }
            // A model served from its files at shutdown: the server removes them as it exits.
            var load = URLRequest(url: try #require(URL(string: server.base + "/repository/models/pushed/load")))
            load.httpMethod = "POST"
            let model = try Data(contentsOf: URL(fileURLWithPath: Fixtures.model("add_one.onnx"))).base64EncodedString()
            let body = #"{"parameters": {"config": "{}", "file:1/model.onnx": "\#(model)"}}"#
            let (_, response) = try await URLSession.shared.upload(for: load, from: Data(body.utf8))
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/uploads").count == 1)
            try await server.terminate()
            #expect(server.exitedCleanly, "ledge serve did not exit 0 on SIGTERM; stderr: \(server.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/uploads") == [], "uploads left behind")
        }
    }
}
