import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// One bad request: where it goes, what it carries, and the status and exact error it gets.
struct BadRequest: Sendable, CustomTestStringConvertible {
    var name: String
    var uri: String
    var body: Data
    var headers: HTTPFields
    var status: HTTPResponse.Status
    var message: String
    var maxBodySize: Int

    var testDescription: String { name }

    init(
        _ name: String, uri: String = "/v2/models/add/infer", body: String, headers: HTTPFields = [.contentType: "application/json"],
        status: HTTPResponse.Status = .badRequest, message: String, maxBodySize: Int = 8 << 20
    ) {
        self.init(name, uri: uri, body: Data(body.utf8), headers: headers, status: status, message: message, maxBodySize: maxBodySize)
    }

    init(
        _ name: String, uri: String = "/v2/models/add/infer", body: Data, headers: HTTPFields = [.contentType: "application/json"],
        status: HTTPResponse.Status = .badRequest, message: String, maxBodySize: Int = 8 << 20
    ) {
        self.name = name
        self.uri = uri
        self.body = body
        self.headers = headers
        self.status = status
        self.message = message
        self.maxBodySize = maxBodySize
    }

    /// A binary-data request to `add`: `header` as the JSON part, then `bytes` zero bytes.
    static func binary(_ name: String, header: String, bytes: Int, message: String) -> BadRequest {
        BadRequest(
            name, body: Data(header.utf8) + Data(count: bytes),
            headers: [
                .contentType: "application/octet-stream",
                HTTPField.Name("Inference-Header-Content-Length")!: String(header.utf8.count),
            ],
            message: message)
    }
}

/// Every bad request gets its status and exact error, and the server keeps serving after each.
@Suite(.ownThread) struct BadRequestTests {
    static let goodAdd =
        #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
    static let uint8Data = "[" + Array(repeating: "0", count: 224 * 224 * 3 - 1).joined(separator: ",") + ",300]"

    static let cases: [BadRequest] = [
        BadRequest(
            "malformed JSON", body: #"{"inputs": [ "#,
            message: "malformed JSON in the request body: expected a JSON object with 'inputs'"),
        BadRequest(
            "a fraction where a parameter is an integer",
            body:
                #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}],"outputs":[{"name":"sum","parameters":{"classification":2.5}}]}"#,
            message: "field 'outputs[0].parameters.classification' is 2.5: expected an integer"),
        BadRequest(
            "a fraction as the request's timeout", body: #"{"inputs":[],"parameters":{"timeout":1e3}}"#,
            message: "field 'parameters.timeout' is 1000.0: expected an integer"),
        BadRequest(
            "missing field", body: #"{"inputs":[{"name":"a","shape":[1,4],"data":[1,2,3,4]}]}"#,
            message: "missing field 'inputs[0].datatype' in the request JSON"),
        BadRequest(
            "wrong input name", body: #"{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}"#,
            message: "input 'x' is not an input of model 'add': expected one of 'a', 'b'"),
        BadRequest(
            "missing input", body: #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}"#,
            message: "model 'add' expects input 'b', missing from 'inputs'"),
        BadRequest(
            "wrong datatype", body: #"{"inputs":[{"name":"a","datatype":"INT32","shape":[1,4],"data":[1,2,3,4]}]}"#,
            message: "input 'a': datatype INT32 does not match the model: expected FP32"),
        BadRequest(
            "wrong shape", body: #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,5],"data":[1,2,3,4,5]}]}"#,
            message: "input 'a': shape [1, 5] does not match the model: expected [-1, 4]"),
        BadRequest(
            "inputs of two batch sizes",
            body:
                #"{"inputs":[{"name":"a","datatype":"FP32","shape":[2,4],"data":[1,2,3,4,5,6,7,8]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#,
            message: "input 'b' has a batch of 1, input 'a' of 2: the inputs of model 'add' share their first (batch) dimension"),
        BadRequest(
            "shape and data length disagree", body: #"{"inputs":[{"name":"a","datatype":"FP32","shape":[2,4],"data":[1,2,3,4]}]}"#,
            message: "input 'a': shape [2, 4] needs 8 values, got 4 in 'data'"),
        BadRequest(
            "uint8 out of range", uri: "/v2/models/efficientnet/infer",
            body: #"{"inputs":[{"name":"images","datatype":"UINT8","shape":[1,224,224,3],"data":"# + uint8Data + "}]}",
            message: "input 'images': 'data' holds 300, expected integers in 0...255 for UINT8"),
        BadRequest(
            "unknown requested output", body: String(goodAdd.dropLast()) + #","outputs":[{"name":"diff"}]}"#,
            message: "requested output 'diff' is not an output of model 'add': expected one of 'sum'"),
        .binary(
            "binary size disagrees with shape",
            header:
                #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":12}},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#,
            bytes: 12, message: "input 'a': binary_data_size 12 does not match shape [1, 4] of FP32: expected 16 bytes"),
        .binary(
            "binary data shorter than declared",
            header:
                #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":16}},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#,
            bytes: 10, message: "input 'a': binary_data_size 16 runs past the body: 10 bytes left after Inference-Header-Content-Length"),
        .binary(
            "binary data and JSON data for one input",
            header:
                #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,1,1,1],"parameters":{"binary_data_size":16}},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#,
            bytes: 16, message: "input 'a' has both 'data' and parameters.binary_data_size: expected one"),
        BadRequest(
            "header length longer than the body", body: goodAdd,
            headers: [.contentType: "application/octet-stream", HTTPField.Name("Inference-Header-Content-Length")!: "100000"],
            message: "Inference-Header-Content-Length is 100000 but the body holds \(goodAdd.utf8.count) bytes: expected 0...\(goodAdd.utf8.count)"),
        BadRequest("unknown model", uri: "/v2/models/nope/infer", body: goodAdd, status: .notFound, message: "unknown model 'nope'"),
        BadRequest(
            "dot-dot model name", uri: "/v2/models/..%2Fadd/infer", body: goodAdd,
            message: "model name '../add' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')"),
        BadRequest(
            "JSON sent as a form (curl -d)", body: "{", headers: [.contentType: "application/x-www-form-urlencoded"],
            message: "malformed JSON in the request body: expected a JSON object with 'inputs'"),
        BadRequest(
            "body over the limit", body: goodAdd + String(repeating: " ", count: 100), status: .contentTooLarge,
            message: "request body exceeds the limit of 200 bytes (--max-body-size)", maxBodySize: 200),
    ]

    @Test(arguments: cases)
    func getsItsStatusAndErrorAndTheServerServesOn(_ bad: BadRequest) async throws {
        try await TestServer.withApp(maxBodySize: bad.maxBodySize) { client in
            try await client.execute(uri: bad.uri, method: .post, headers: bad.headers, body: ByteBuffer(data: bad.body)) { response in
                #expect(response.status == bad.status)
                #expect(response.errorMessage == bad.message)
            }
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: Self.goodAdd)) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
