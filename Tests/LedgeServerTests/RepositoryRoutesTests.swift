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

    /// Triton's load parameters: files sent with the call are refused, not ignored (as over
    /// gRPC); a config must be a JSON string (what it says is checked in explicit mode: RepositoryClientTests).
    @Test func loadParametersAreRefused() async throws {
        try await TestServer.withApp { client in
            for (action, body, message) in [
                (
                    "load", #"{"parameters": {"file:1/model.onnx": "AAAA", "config": "{}"}}"#,
                    "load parameter 'file:1/model.onnx' is not supported: the model is loaded from its repository folder"
                ),
                (
                    "load", #"{"parameters": {"config": 4}}"#,
                    "load parameter 'config' is a number: expected the model's configuration as a JSON string"
                ),
                (
                    "unload", #"{"parameters": {"unload_dependents": true, "x": 1}}"#,
                    "unload parameter 'x' is not supported: the model is unloaded from its repository folder"
                ),
                ("load", "[1]", #"malformed load request: expected nothing or a JSON object like {"parameters": {}}"#),
                ("load", #"{"parameters": 3}"#, "malformed load request: 'parameters' is no object"),
                // A config, or what tritonclient's unload_model always sends: on to the mode's answer.
                (
                    "load", #"{"parameters": {"config": "{\"max_batch_size\": 4}"}}"#,
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
