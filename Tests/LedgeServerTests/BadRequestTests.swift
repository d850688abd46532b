import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
import Testing

/// Every bad request gets its status and exact error, and the server keeps serving after each.
@Suite struct BadRequestTests {
    static let goodAdd = #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#

    func expectError(_ uri: String, body: String, headers: HTTPFields = [.contentType: "application/json"],
                     status: HTTPResponse.Status, message: String, maxBodySize: Int = 8 << 20) async throws {
        try await expectError(uri, body: Data(body.utf8), headers: headers, status: status, message: message, maxBodySize: maxBodySize)
    }

    func expectError(_ uri: String, body: Data, headers: HTTPFields = [.contentType: "application/json"],
                     status: HTTPResponse.Status, message: String, maxBodySize: Int = 8 << 20) async throws {
        try await TestServer.withApp(maxBodySize: maxBodySize) { client in
            try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(data: body)) { response in
                #expect(response.status == status)
                #expect(response.errorMessage == message)
            }
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: Self.goodAdd)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func malformedJSON() async throws {
        try await expectError("/v2/models/add/infer", body: #"{"inputs": [ "#, status: .badRequest,
                              message: "malformed JSON in the request body: expected a JSON object with 'inputs'")
    }

    @Test func missingField() async throws {
        try await expectError("/v2/models/add/infer", body: #"{"inputs":[{"name":"a","shape":[1,4],"data":[1,2,3,4]}]}"#,
                              status: .badRequest, message: "missing field 'inputs[0].datatype' in the request JSON")
    }

    @Test func wrongInputName() async throws {
        try await expectError("/v2/models/add/infer", body: #"{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}"#,
                              status: .badRequest, message: "input 'x' is not an input of model 'add': expected one of 'a', 'b'")
    }

    @Test func missingInput() async throws {
        try await expectError("/v2/models/add/infer", body: #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}"#,
                              status: .badRequest, message: "model 'add' expects input 'b', missing from 'inputs'")
    }

    @Test func wrongDatatype() async throws {
        try await expectError("/v2/models/add/infer", body: #"{"inputs":[{"name":"a","datatype":"INT32","shape":[1,4],"data":[1,2,3,4]}]}"#,
                              status: .badRequest, message: "input 'a': datatype INT32 does not match the model: expected FP32")
    }

    @Test func wrongShape() async throws {
        try await expectError("/v2/models/add/infer", body: #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,5],"data":[1,2,3,4,5]}]}"#,
                              status: .badRequest, message: "input 'a': shape [1, 5] does not match the model: expected [-1, 4]")
    }

    @Test func shapeAndDataLengthDisagree() async throws {
        try await expectError("/v2/models/add/infer", body: #"{"inputs":[{"name":"a","datatype":"FP32","shape":[2,4],"data":[1,2,3,4]}]}"#,
                              status: .badRequest, message: "input 'a': shape [2, 4] needs 8 values, got 4 in 'data'")
    }

    @Test func uint8OutOfRange() async throws {
        let data = "[" + Array(repeating: "0", count: 224 * 224 * 3 - 1).joined(separator: ",") + ",300]"
        try await expectError("/v2/models/efficientnet/infer",
                              body: #"{"inputs":[{"name":"images","datatype":"UINT8","shape":[1,224,224,3],"data":"# + data + "}]}",
                              status: .badRequest, message: "input 'images': 'data' holds 300, expected integers in 0...255 for UINT8")
    }

    @Test func unknownRequestedOutput() async throws {
        try await expectError("/v2/models/add/infer",
                              body: String(Self.goodAdd.dropLast()) + #","outputs":[{"name":"diff"}]}"#,
                              status: .badRequest, message: "requested output 'diff' is not an output of model 'add': expected one of 'sum'")
    }

    @Test func binarySizeDisagreesWithShape() async throws {
        let header = #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":12}},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
        try await expectError("/v2/models/add/infer", body: Data(header.utf8) + Data(count: 12),
                              headers: [.contentType: "application/octet-stream", HTTPField.Name("Inference-Header-Content-Length")!: String(header.utf8.count)],
                              status: .badRequest, message: "input 'a': binary_data_size 12 does not match shape [1, 4] of FP32: expected 16 bytes")
    }

    @Test func binaryDataShorterThanDeclared() async throws {
        let header = #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":16}},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
        try await expectError("/v2/models/add/infer", body: Data(header.utf8) + Data(count: 10),
                              headers: [.contentType: "application/octet-stream", HTTPField.Name("Inference-Header-Content-Length")!: String(header.utf8.count)],
                              status: .badRequest, message: "input 'a': binary_data_size 16 runs past the body: 10 bytes left after Inference-Header-Content-Length")
    }

    @Test func headerLengthLongerThanBody() async throws {
        try await expectError("/v2/models/add/infer", body: Self.goodAdd,
                              headers: [.contentType: "application/octet-stream", HTTPField.Name("Inference-Header-Content-Length")!: "100000"],
                              status: .badRequest, message: "Inference-Header-Content-Length is 100000 but the body holds \(Self.goodAdd.utf8.count) bytes: expected 0...\(Self.goodAdd.utf8.count)")
    }

    @Test func unknownModel() async throws {
        try await expectError("/v2/models/nope/infer", body: Self.goodAdd, status: .notFound, message: "unknown model 'nope'")
    }

    @Test func dotDotModelName() async throws {
        try await expectError("/v2/models/..%2Fadd/infer", body: Self.goodAdd, status: .badRequest,
                              message: "model name '../add' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')")
    }

    @Test func unsupportedContentType() async throws {
        try await expectError("/v2/models/add/infer", body: Self.goodAdd, headers: [.contentType: "text/plain"],
                              status: .unsupportedMediaType,
                              message: "unsupported content type 'text/plain' for infer: expected application/json or application/octet-stream")
    }

    @Test func bodyOverTheLimit() async throws {
        try await expectError("/v2/models/add/infer", body: Self.goodAdd + String(repeating: " ", count: 100), status: .contentTooLarge,
                              message: "request body exceeds the limit of 200 bytes (--max-body-size)", maxBodySize: 200)
    }
}
