import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// KServe's v1 protocol (TensorFlow Serving's rows and columns) over the fixture repository: what KServe's
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
                #expect(
                    response.status == .ok
                        && String(buffer: response.body)
                            == #"{"name":"add","ready":true,"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}"#
                )
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

    /// TensorFlow Serving's columnar form, versioned paths and signature map.
    @Test func columnsVersionsAndMetadata() async throws {
        try await TestServer.withApp { client in
            let columns =
                #"{"signature_name": "serving_default", "inputs": {"a": [[1, 2, 3, 4], [0, 0, 0, 1]], "b": [[0.5, 0.25, 0.125, 0.0625], [1, 1, 1, 1]]}}"#
            for model in ["add", "add/versions/1"] {
                let (status, body) = try await Self.predict(client, model, columns)
                #expect(status == .ok && body == #"{"outputs":[[1.5,2.25,3.125,4.0625],[1,1,1,2]]}"#, "\(body)")
            }
            let (missing, _) = try await Self.predict(client, "add/versions/2", columns)
            #expect(missing == .notFound)
            try await client.execute(uri: "/v1/models/add/versions/1", method: .get) { response in
                #expect(
                    String(buffer: response.body)
                        == #"{"name":"add","ready":true,"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}"#
                )
            }
            for path in ["/v1/models/efficientnet/metadata", "/v1/models/efficientnet/versions/1/metadata"] {
                try await client.execute(uri: path, method: .get) { response in
                    let dims = [1, 224, 224, 3].map { #"{"size":"\#($0)","name":""}"# }.joined(separator: ",")
                    let expected =
                        #"{"model_spec":{"name":"efficientnet","signature_name":"","version":"1"},"metadata":{"signature_def":{"signature_def":{"serving_default":{"#
                        + #""inputs":{"images":{"dtype":"DT_UINT8","tensor_shape":{"dim":["# + dims + #"],"unknown_rank":false},"name":"images"}},"#
                        + #""outputs":{"Softmax":{"dtype":"DT_UINT8","tensor_shape":{"dim":[{"size":"1","name":""},{"size":"1000","name":""}],"unknown_rank":false},"name":"Softmax"}},"#
                        + #""method_name":"tensorflow/serving/predict"}}}}}"#
                    #expect(response.status == .ok && String(buffer: response.body) == expected, "\(String(buffer: response.body))")
                }
            }
            // Two photos as one column on a model of batch 1 (run one at a time): the rows their instances give.
            let files = try ["chelsea.jpg", "astronaut_224.png"].map {
                #"{"b64": ""# + (try Data(contentsOf: URL(fileURLWithPath: Fixtures.image($0)))).base64EncodedString() + #""}"#
            }
            let (_, column) = try await Self.predict(client, "efficientnet", #"{"inputs": ["# + files.joined(separator: ",") + "]}")
            let (_, rows) = try await Self.predict(client, "efficientnet", #"{"instances": ["# + files.joined(separator: ",") + "]}")
            let outputs = try JSONDecoder().decode([String: [[Int]]].self, from: Data(column.utf8))["outputs"] ?? []
            let predictions = try JSONDecoder().decode([String: [[Int]]].self, from: Data(rows.utf8))["predictions"] ?? []
            #expect(outputs.map(\.count) == [1000, 1000] && outputs == predictions)
            let top = outputs.first.flatMap { row in row.indices.max { row[$0] < row[$1] } }
            #expect(top == 285)  // chelsea.jpg: Egyptian cat
        }
    }

    /// A config's own max_batch_size bounds a request's batch (a V2 or columns request over it is
    /// refused, as Triton refuses it); v1 rows run in batches of at most that many.
    @Test func aConfigsMaxBatchSizeBoundsARequest() async throws {
        try await withTemporaryDirectory(prefix: "ledge-v1-limit") { folder in
            try Fixtures.makeModel(folder, config: "max_batch_size: 2\n")
            let repository = try ModelRepository.load(.repository(path: folder), options: RepositoryOptions(instances: 1), logger: TestServer.logger)
            try await TestServer.withApp(repository: repository) { client in
                let instances = (0..<5).map { #"{"a": [\#($0), 1, 2, 3], "b": [1, 1, 1, 1]}"# }.joined(separator: ", ")
                let (status, body) = try await Self.predict(client, "add", #"{"instances": [\#(instances)]}"#)
                #expect(status == .ok && body == #"{"predictions":[[1,2,3,4],[2,2,3,4],[3,2,3,4],[4,2,3,4],[5,2,3,4]]}"#, "\(body)")
                let refusal = "input 'a' has a batch of 3: model 'add' takes at most 2 items a request (max_batch_size in its config.pbtxt)"
                let (columns, answer) = try await Self.predict(
                    client, "add", #"{"inputs": {"a": [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]], "b": [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]}}"#)
                #expect(columns == .badRequest && answer == #"{"error":"\#(refusal)"}"#)
                let v2 =
                    #"{"inputs":[{"name":"a","datatype":"FP32","shape":[3,4],"data":[1,2,3,4,1,2,3,4,1,2,3,4]},"#
                    + #"{"name":"b","datatype":"FP32","shape":[3,4],"data":[1,2,3,4,1,2,3,4,1,2,3,4]}]}"#
                try await client.execute(uri: "/v2/models/add/infer", method: .post, headers: jsonHeaders, body: ByteBuffer(string: v2)) { response in
                    #expect(response.status == .badRequest && response.errorMessage == refusal)
                }
            }
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
                        == #"{"error":"model 'total' answers output 'total' of shape [4] for 2 item(s): v1 needs one row per item, use /v2/models/total/infer"}"#
                )
            }
        }
    }

    @Test func refusalsAreOneLine() async throws {
        let cases: [(String, String, HTTPResponse.Status, String)] = [
            ("nope", #"{"instances": [1]}"#, .notFound, "unknown model 'nope'"),
            ("add", "{", .badRequest, "malformed JSON in the request body: expected a JSON object with 'instances' or 'inputs'"),
            ("add", "[1]", .badRequest, "malformed JSON in the request body: expected a JSON object with 'instances' or 'inputs'"),
            ("add", #"{"signature_name": "serving_default"}"#, .badRequest, "missing field 'instances' or 'inputs' in the request JSON"),
            (
                "add", #"{"signature_name": "predict", "instances": [1]}"#, .badRequest,
                "field 'signature_name' is 'predict': model 'add' is served under one signature, 'serving_default'"
            ),
            (
                "add", #"{"signature_name": 1, "instances": [1]}"#, .badRequest,
                "field 'signature_name' is a number: model 'add' is served under one signature, 'serving_default'"
            ),
            (
                "add", #"{"instances": [1], "inputs": [1]}"#, .badRequest,
                "the request JSON has both 'instances' and 'inputs': expected one of them"
            ),
            (
                "add", #"{"inputs": [[1, 2, 3, 4]]}"#, .badRequest,
                "field 'inputs' is an array: model 'add' has 2 inputs, expected an object with 'a', 'b'"
            ),
            ("add", #"{"inputs": {"a": [[1, 2, 3, 4]]}}"#, .badRequest, "field 'inputs' has no 'b': model 'add' expects 'a', 'b'"),
            (
                "add", #"{"inputs": {"a": [[1, 2, 3, 4]], "b": [[1, 2, 3, 4]], "c": 1}}"#, .badRequest,
                "field 'inputs.c' is not an input of model 'add': expected 'a', 'b'"
            ),
            (
                "add", #"{"inputs": {"a": [[1, 2, 3, 4], [5, 6, 7, 8]], "b": [[1, 2, 3, 4]]}}"#, .badRequest,
                "input 'b' has a batch of 1, input 'a' of 2: the inputs of model 'add' share their first (batch) dimension"
            ),
            (
                "add", #"{"inputs": {"a": [1, 2, 3, 4], "b": [[1, 2, 3, 4]]}}"#, .badRequest,
                "field 'inputs.a': shape [4] does not match input 'a' of model 'add': expected [-1, 4]"
            ),
            (
                "efficientnet", #"{"inputs": [[1, 2]]}"#, .badRequest,
                "field 'inputs': shape [1, 2] does not match input 'images' of model 'efficientnet': expected [1, 224, 224, 3]"
            ),
            (
                "efficientnet", #"{"inputs": [{"b64": "AAAA"}, 3]}"#, .badRequest,
                "field 'inputs[1]' is no {\"b64\": \"<base64>\"} object: expected one base64 string under 'b64'"
            ),
            ("efficientnet", #"{"inputs": {"b64": "AAAA"}}"#, .badRequest, "field 'inputs': not a JPEG or PNG image"),
            (
                "efficientnet", #"{"inputs": {"image": [{"b64": "AAAA"}]}}"#, .badRequest,
                "field 'inputs.image' is not an input of model 'efficientnet': expected 'images'"
            ),
            ("efficientnet", #"{"inputs": {"images": [{"b64": "AAAA"}]}}"#, .badRequest, "field 'inputs.images[0]': not a JPEG or PNG image"),
            (
                "efficientnet", #"{"instances": ["# + Array(repeating: #"{"b64": "AAAA"}"#, count: 65).joined(separator: ",") + "]}", .badRequest,
                #"the request holds 65 image files ({"b64": …}): at most 64 in one request"#
            ),
            (
                "efficientnet", #"{"inputs": {"images": ["# + Array(repeating: #"{"b64": "AAAA"}"#, count: 65).joined(separator: ",") + "]}}",
                .badRequest,
                #"the request holds 65 image files ({"b64": …}): at most 64 in one request"#
            ),
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

    /// KServe's explain verb, as its model servers answer it without an explainer: 501.
    @Test func explainIsNotImplemented() async throws {
        try await TestServer.withApp { client in
            for uri in ["/v1/models/add:explain", "/v1/models/add/versions/1:explain"] {
                try await client.execute(uri: uri, method: .post, body: ByteBuffer(string: #"{"instances": [[1, 2, 3, 4]]}"#)) { response in
                    #expect(response.status == .notImplemented, "\(uri)")
                    #expect(response.errorMessage == "model 'add' has no explainer: ledge serves :predict only")
                }
            }
            try await client.execute(uri: "/v1/models/nope:explain", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound && response.errorMessage == "unknown model 'nope'")
            }
        }
    }
}
