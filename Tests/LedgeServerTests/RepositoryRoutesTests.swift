import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// The model repository extension over HTTP, `GET …/config` and the classification extension.
@Suite(.ownThread) struct RepositoryRoutesTests {
    @Test func configIsCompletedFromTheModel() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/gen/config", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains(#""max_batch_size":8"#), "\(body)")
                #expect(body.contains(#""input":[{"data_type":"TYPE_FP32","dims":[3,224,224],"name":"input"}]"#), "\(body)")
                #expect(body.contains(#""platform":"onnxruntime_onnx""#), "\(body)")
                // The instances it runs on, as Triton lists them (TestServer's one instance).
                #expect(body.contains(#""instance_group":[{"count":1,"kind":"KIND_CPU"}]"#), "\(body)")
            }
            try await client.execute(uri: "/v2/models/gen/versions/2/config", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage == "model 'gen' has no version '2': expected 1")
            }
        }
    }

    @Test func loadAndUnloadNeedExplicitMode() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/repository/models/add/unload", method: .post) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage == "cannot unload models: the model control mode is none: expected --model-control-mode explicit")
            }
        }
    }

    /// Triton's load parameters: others than `config` and files refused, not ignored (as over
    /// gRPC); a config must be a JSON string and a file base64 (what they say is checked in
    /// explicit mode: below and RepositoryClientTests).
    @Test func loadParametersAreRefused() async throws {
        try await TestServer.withApp { client in
            for (action, body, message) in [
                (
                    "load", #"{"parameters": {"file:1/model.onnx": "not base64!", "config": "{}"}}"#,
                    "load parameter 'file:1/model.onnx' is not a base64 string: expected the file's bytes in base64"
                ),
                (
                    "load", #"{"parameters": {"file:1/model.onnx": 4, "config": "{}"}}"#,
                    "load parameter 'file:1/model.onnx' is not a base64 string: expected the file's bytes in base64"
                ),
                ("load", #"{"parameters": {"config": "{}", "x": 1}}"#, "load parameter 'x' is not supported: expected 'config' and 'file:<path>'"),
                (
                    "load", #"{"parameters": {"config": 4}}"#,
                    "load parameter 'config' is a number: expected the model's configuration as a JSON string"
                ),
                (
                    "unload", #"{"parameters": {"unload_dependents": true, "x": 1}}"#,
                    "unload parameter 'x' is not supported: expected 'unload_dependents'"
                ),
                ("load", "[1]", #"malformed load request: expected nothing or a JSON object like {"parameters": {}}"#),
                ("load", #"{"parameters": 3}"#, "malformed load request: 'parameters' is no object"),
                // A config, files, or what tritonclient's unload_model always sends: on to the mode's answer.
                (
                    "load", #"{"parameters": {"config": "{\"max_batch_size\": 4}", "file:1/model.onnx": "AAAA"}}"#,
                    "cannot load models: the model control mode is none: expected --model-control-mode explicit"
                ),
                (
                    "unload", #"{"parameters": {"unload_dependents": false}}"#,
                    "cannot unload models: the model control mode is none: expected --model-control-mode explicit"
                ),
            ] {
                try await client.execute(uri: "/v2/repository/models/add/\(action)", method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorMessage == message, "\(body)")
                }
            }
        }
    }

    /// A load's files over HTTP, in base64 (tritonclient's `load_model(…, files=…)`): a model over
    /// the 64 KB of other repository requests is taken up to `--max-body-size`, and served.
    @Test func loadTakesFilesUpToTheBodyLimit() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory + "/repository")
            let repository = try ModelRepository.load(
                .repository(path: directory + "/repository"),
                options: RepositoryOptions(
                    controlMode: .explicit, uploads: UploadSettings(directory: directory + "/uploads", maxBytes: 1 << 20)),
                logger: TestServer.logger)
            let model = try Data(contentsOf: URL(fileURLWithPath: Fixtures.model("mlp_gen.onnx")))
            let body = #"{"parameters": {"config": "{}", "file:1/model.onnx": "\#(model.base64EncodedString())"}}"#
            #expect(body.utf8.count > WebRoutes.smallBodyLimit)
            try await TestServer.withApp(maxBodySize: body.utf8.count, repository: repository) { client in
                try await client.execute(uri: "/v2/repository/models/mlp/load", method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok, "\(response.errorMessage ?? "")")
                }
                #expect(repository.names == ["mlp"])
                try await client.execute(uri: "/v2/repository/models/mlp2/load", method: .post, body: ByteBuffer(string: body + " ")) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(response.errorMessage == "request body exceeds the limit of \(body.utf8.count) bytes (--max-body-size)")
                }
            }
        }
    }

    @Test func classificationReturnsTheTopClassesAsBytes() async throws {
        let body = try V2JSON.body([
            "inputs": [V2JSON.input("a", "FP32", [1, 4], [1, 2, 3, 4]), V2JSON.input("b", "FP32", [1, 4], [0, 0, 5, 0])],
            "outputs": [["name": "sum", "parameters": ["classification": 2]]],
        ])
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: body) { response in
                #expect(response.status == .ok)
                #expect(
                    String(buffer: response.body)
                        == #"{"model_name":"add","model_version":"1","outputs":[{"name":"sum","datatype":"BYTES","shape":[1,2],"data":["8.000000:2","4.000000:3"]}]}"#
                )
            }
        }
    }
}
