import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// KServe's v1 protocol (TensorFlow Serving's rows) over the fixture repository: what KServe's
/// `InferenceRESTClient(protocol="v1")` reads (the live check with it is check_kserve.py), the
/// batch of a dynamic-batch model against its items alone, and every refusal's exact line.
@Suite(.ownThread) struct V1RoutesTests {
    static func predict(_ client: some TestClientProtocol, _ model: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: "/v1/models/\(model):predict", method: .post, body: ByteBuffer(string: body)) { response in
            (response.status, String(buffer: response.body))
        }
    }

    @Test func modelsReadinessAndPredictions() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v1/models", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"models":["add","efficientnet","gen"]}"#)
            }
            try await client.execute(uri: "/v1/models/add", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body) == #"{"name":"add","ready":true}"#)
            }
            let (status, body) = try await Self.predict(
                client, "add", #"{"instances": [{"a": [1, 2, 3, 4], "b": [0.5, 0.25, 0.125, 0.0625]}, {"b": [1, 1, 1, 1], "a": [0, 0, 0, 1]}]}"#)
            #expect(status == .ok && body == #"{"predictions":[[1.5,2.25,3.125,4.0625],[1,1,1,2]]}"#)
            // A dynamic batch runs the instances together: each row as the item alone gives it.
            let rng: [Double] = (0..<(3 * 224 * 224)).map { (n: Int) -> Double in Double((n * 7919) % 255) / 255 }
            func image(_ scale: Double) -> String {
                let values = rng.map { String($0 * scale) }
                let rows = stride(from: 0, to: values.count, by: 224).map { "[" + values[$0..<$0 + 224].joined(separator: ",") + "]" }
                let planes = stride(from: 0, to: rows.count, by: 224).map { "[" + rows[$0..<$0 + 224].joined(separator: ",") + "]" }
                return "[" + planes.joined(separator: ",") + "]"
            }
            let (_, both) = try await Self.predict(client, "gen", #"{"instances": ["# + image(1) + "," + image(0.5) + "]}")
            let (_, first) = try await Self.predict(client, "gen", #"{"instances": ["# + image(1) + "]}")
            let (_, second) = try await Self.predict(client, "gen", #"{"instances": ["# + image(0.5) + "]}")
            func rows(_ text: String) throws -> [[Double]] {
                try JSONDecoder().decode([String: [[Double]]].self, from: Data(text.utf8))["predictions"] ?? []
            }
            let batch = try rows(both), alone = try rows(first) + rows(second)
            #expect(batch.count == 2 && batch.map(\.count) == [1000, 1000])
            #expect(zip(batch.joined(), alone.joined()).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }

    /// A model whose output has no batch dimension (a sum over it) has no row per instance: refused, not cut.
    @Test func anOutputWithoutRowsIsRefused() async throws {
        try await withTemporaryDirectory(prefix: "ledge-v1") { folder in
            let script = """
                import onnx, sys
                from onnx import TensorProto, helper
                x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])
                total = helper.make_tensor_value_info("total", TensorProto.FLOAT, [4])
                node = helper.make_node("ReduceSum", ["x", "axes"], ["total"], keepdims=0)
                axes = helper.make_tensor("axes", TensorProto.INT64, [1], [0])
                graph = helper.make_graph([node], "total", [x], [total], initializer=[axes])
                onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), sys.argv[1])
                """
            let made = try ProcessRunner.run(Fixtures.home + "/venv/bin/python", ["-c", script, folder + "/total.onnx"])
            #expect(made.status == 0, "\(made.stderr)")
            let repository = try ModelRepository.load(
                .files([ModelFileSource(path: folder + "/total.onnx", name: "total")]), options: RepositoryOptions(instances: 1),
                logger: TestServer.logger)
            try await TestServer.withApp(repository: repository) { client in
                let (status, body) = try await Self.predict(client, "total", #"{"instances": [[1, 2, 3, 4], [1, 1, 1, 1]]}"#)
                #expect(status == .badRequest)
                #expect(
                    body
                        == #"{"error":"model 'total' answers output 'total' of shape [4] for 2 instance(s): v1 needs one row per instance, use /v2/models/total/infer"}"#
                )
            }
        }
    }

    @Test func refusalsAreOneLine() async throws {
        let cases: [(String, String, HTTPResponse.Status, String)] = [
            ("nope", #"{"instances": [1]}"#, .notFound, "unknown model 'nope'"),
            ("add", "{", .badRequest, "malformed JSON in the request body: expected a JSON object with 'instances'"),
            ("add", "[1]", .badRequest, "malformed JSON in the request body: expected a JSON object with 'instances'"),
            (
                "add", #"{"inputs": {"a": [[1, 2, 3, 4]]}}"#, .badRequest,
                "field 'inputs' (TensorFlow Serving's columnar form) is not served: send 'instances', one item each, or use /v2/models/{m}/infer"
            ),
            ("add", #"{"signature_name": "x"}"#, .badRequest, "missing field 'instances' in the request JSON"),
            ("add", #"{"instances": []}"#, .badRequest, "field 'instances' is empty: expected an array of one instance or more"),
            ("add", #"{"instances": 3}"#, .badRequest, "field 'instances' is a number: expected an array of one instance or more"),
            (
                "add", #"{"instances": [[1, 2, 3, 4]]}"#, .badRequest,
                "field 'instances[0]' is an array: model 'add' has 2 inputs, expected an object with 'a', 'b'"
            ),
            (
                "add", #"{"instances": [{"a": [1, 2, 3, 4], "c": 1}]}"#, .badRequest,
                "field 'instances[0].c' is not an input of model 'add': expected 'a', 'b'"
            ),
            ("add", #"{"instances": [{"a": [1, 2, 3, 4]}]}"#, .badRequest, "field 'instances[0]' has no 'b': model 'add' expects 'a', 'b'"),
            (
                "add", #"{"instances": [{"a": [1, 2, 3], "b": [1, 2, 3, 4]}]}"#, .badRequest,
                "field 'instances[0].a': shape [1, 3] does not match input 'a' of model 'add': expected [-1, 4]"
            ),
            (
                "add", #"{"instances": [{"a": {"b64": "AAAA"}, "b": [1, 2, 3, 4]}]}"#, .badRequest,
                "field 'instances[0].a': model 'add' has no image input to take a file: send nested numbers"
            ),
            (
                "efficientnet", #"{"instances": [{"b64": 5}]}"#, .badRequest,
                #"field 'instances[0]' is no {"b64": "<base64>"} object: expected one base64 string under 'b64'"#
            ),
            ("efficientnet", #"{"instances": [{"b64": "AAAA"}]}"#, .badRequest, "field 'instances[0]': not a JPEG or PNG image"),
            (
                "efficientnet", #"{"instances": [[1, 2]]}"#, .badRequest,
                "field 'instances[0]': shape [1, 2] does not match input 'images' of model 'efficientnet': expected [1, 224, 224, 3]"
            ),
        ]
        try await TestServer.withApp { client in
            for (model, body, status, message) in cases {
                let (got, answer) = try await Self.predict(client, model, body)
                #expect(got == status, "\(body)")
                let encoder = JSONEncoder()
                encoder.outputFormatting = .withoutEscapingSlashes
                #expect(answer == String(decoding: try encoder.encode(["error": message]), as: UTF8.self), "\(answer)")
            }
            try await client.execute(uri: "/v1/models/nope", method: .get) { response in
                #expect(response.status == .notFound && response.errorMessage == "unknown model 'nope'")
            }
        }
    }
}
