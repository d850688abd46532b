import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeCore
import LedgeEngine
import LedgeServer
import LedgeTesting
@testable import LedgeServing
import Testing

@Suite(.ownThread) struct InferTests {
    /// What the library gives for `inputs` on `model`.
    func libraryOutput(_ model: String, _ inputs: [Tensor]) throws -> Tensor {
        let session = try ModelLoader.open(path: Fixtures.model(model), logger: TestServer.logger)
        return try session.run(inputs)[0]
    }

    @Test func efficientnetUInt8JSONEqualsTheLibrary() async throws {
        let reference = try Fixtures.referenceCase("tflite_fixed")
        let input = reference.inputs[0]
        let expected = try libraryOutput("efficientnet_lite0.tflite", [input]).values(as: UInt8.self)
        let body = try V2JSON.body([
            "id": "req-1",
            "inputs": [V2JSON.input("images", "UINT8", input.shape, input.values(as: UInt8.self).map { Int($0) })],
        ])
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/efficientnet/infer", method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(InferResponse.self)
                #expect(decoded.model_name == "efficientnet")
                #expect(decoded.model_version == "1")
                #expect(decoded.id == "req-1")
                #expect(decoded.outputs.count == 1)
                #expect(decoded.outputs[0].name == "Softmax")
                #expect(decoded.outputs[0].datatype == "UINT8")
                #expect(decoded.outputs[0].shape == [1, 1000])
                #expect(decoded.outputs[0].data?.map { UInt8($0) } == expected)
            }
        }
    }

    @Test func generatedONNXFloat32BatchTwoNestedAndBinary() async throws {
        var generator = SeededGenerator(seed: 7)
        let values = (0..<(2 * 3 * 224 * 224)).map { _ in Float.random(in: 0..<1, using: &generator) }
        let input = Tensor(dtype: .float32, shape: [2, 3, 224, 224], values: values)
        let expected = try libraryOutput("mobilenet_gen.onnx", [input]).values(as: Float.self)
        // Nested arrays: [2][3][224][224].
        let nested: [Any] = (0..<2).map { n in
            (0..<3).map { c in
                (0..<224).map { y in
                    Array(values[(((n * 3 + c) * 224 + y) * 224)..<(((n * 3 + c) * 224 + y + 1) * 224)]).map(Double.init)
                }
            }
        }
        let jsonBody = try V2JSON.body(["inputs": [V2JSON.input("input", "FP32", [2, 3, 224, 224], nested)]])
        // Binary input and output.
        let header = try JSONSerialization.data(withJSONObject: [
            "inputs": [
                [
                    "name": "input", "datatype": "FP32", "shape": [2, 3, 224, 224],
                    "parameters": ["binary_data_size": values.count * 4],
                ]
            ],
            "outputs": [["name": "output", "parameters": ["binary_data": true]]],
        ])
        var binaryData = header
        values.withUnsafeBytes { binaryData.append(contentsOf: $0) }
        let binaryBody = ByteBuffer(data: binaryData)
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/gen/infer", method: .post, body: jsonBody) { response in
                #expect(response.status == .ok)
                let output = try response.json(InferResponse.self).outputs[0]
                #expect(output.shape == [2, 1000])
                #expect(output.datatype == "FP32")
                let got = output.data ?? []
                #expect(got.count == expected.count)
                #expect(zip(got, expected).allSatisfy { abs(Float($0) - $1) <= 1e-6 })
            }
            let headers: HTTPFields = [
                .contentType: "application/octet-stream",
                HTTPField.Name("Inference-Header-Content-Length")!: String(header.count),
            ]
            try await client.execute(uri: "/v2/models/gen/infer", method: .post, headers: headers, body: binaryBody) { response in
                #expect(response.status == .ok)
                let length = try #require(response.headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap(Int.init))
                let body = Data(response.body.readableBytesView)
                let decoded = try JSONDecoder().decode(InferResponse.self, from: body.prefix(length))
                #expect(decoded.outputs[0].parameters?.binary_data_size == 2 * 1000 * 4)
                #expect(decoded.outputs[0].data == nil)
                let floats = body.dropFirst(length).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                #expect(floats == expected)
            }
        }
    }

    @Test func addModelWithRequestedOutputsAndJSONOutputs() async throws {
        let body = try V2JSON.body([
            "inputs": [
                V2JSON.input("b", "FP32", [1, 4], [10, 20, 30, 40]),
                V2JSON.input("a", "FP32", [1, 4], [[1, 2.5, 3, 4]]),
            ],
            "outputs": [["name": "sum"]],
        ])
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/add/versions/1/infer", method: .post, body: body) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(InferResponse.self)
                #expect(decoded.id == nil)
                #expect(decoded.outputs[0].name == "sum")
                #expect(decoded.outputs[0].data == [11, 22.5, 33, 44])
            }
        }
    }

    /// The body is read whatever its content type says, as Triton reads it: `curl -d` (a form's
    /// type), `text/plain` and a vendor JSON type are served.
    @Test func anyContentTypeIsRead() async throws {
        try await TestServer.withApp { client in
            for type in ["application/x-www-form-urlencoded", "text/plain", "application/vnd.example+json"] {
                try await client.execute(
                    uri: "/v2/models/add/infer", method: .post, headers: [.contentType: type], body: ByteBuffer(string: BadRequestTests.goodAdd)
                ) { response in
                    #expect(response.status == .ok, "\(type)")
                    let decoded = try response.json(InferResponse.self)
                    #expect(decoded.outputs.first?.data == [2, 3, 4, 5], "\(type)")
                }
            }
        }
    }
}
