import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// Requests crafted to kill the server (issue: "serve never dies"), classes 1, 2
/// and 5: each gets its status and exact one-line error, and afterwards the
/// same server still answers a valid inference correctly.
@Suite(.ownThread) struct HostileRequestTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var uri: String
        var body: Data
        var headers: HTTPFields = [.contentType: "application/json"]
        var status: HTTPResponse.Status = .badRequest
        var message: String
        var testDescription: String { name }
    }

    static func add(_ shape: String, data: String = "[1,2,3,4]") -> Data {
        Data(
            #"{"inputs":[{"name":"a","datatype":"FP32","shape":\#(shape),"data":\#(data)},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
                .utf8)
    }

    static func binaryAdd(_ shape: String, size: Int, payload: Int) -> (Data, HTTPFields) {
        let json =
            #"{"inputs":[{"name":"a","datatype":"FP32","shape":\#(shape),"parameters":{"binary_data_size":\#(size)}},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
        let headers: HTTPFields = [
            .contentType: "application/octet-stream",
            HTTPField.Name("Inference-Header-Content-Length")!: String(json.utf8.count),
        ]
        return (Data(json.utf8) + Data(repeating: 0, count: payload), headers)
    }

    /// Class 1: shape arithmetic that overflows `Int`.
    static let overflow: [Case] = {
        let (binary, binaryHeaders) = binaryAdd("[4611686018427387905,4]", size: 16, payload: 16)
        return [
            Case(
                name: "issue example", uri: "/v2/models/add/infer", body: add("[4611686018427387905,4]"),
                message:
                    "input 'a': shape [4611686018427387905, 4] has more elements than a tensor can hold: the product of its dimensions overflows 64 bits"
            ),
            Case(
                name: "product overflows only with the element size", uri: "/v2/models/add/infer", body: add("[576460752303423489,4]"),
                message:
                    "input 'a': shape [576460752303423489, 4] has more elements than a tensor can hold: the product of its dimensions overflows 64 bits"
            ),
            Case(
                name: "Int.max batch", uri: "/v2/models/add/infer", body: add("[9223372036854775807,4]"),
                message:
                    "input 'a': shape [9223372036854775807, 4] has more elements than a tensor can hold: the product of its dimensions overflows 64 bits"
            ),
            Case(
                name: "binary tensor with an overflowing shape", uri: "/v2/models/add/infer", body: binary, headers: binaryHeaders,
                message:
                    "input 'a': shape [4611686018427387905, 4] has more elements than a tensor can hold: the product of its dimensions overflows 64 bits"
            ),
            Case(
                name: "a dimension beyond 32 bits", uri: "/v2/models/add/infer", body: add("[2147483648,4]", data: "[]"),
                message: "input 'a': shape [2147483648, 4] has dimension 0 of 2147483648: expected at most 2147483647"
            ),
            Case(
                name: "4-D image input", uri: "/v2/models/gen/infer",
                body: Data(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[3074457345618258603,3,224,224],"data":[0]}]}"#.utf8),
                message:
                    "input 'input': shape [3074457345618258603, 3, 224, 224] has more elements than a tensor can hold: the product of its dimensions overflows 64 bits"
            ),
        ]
    }()

    /// Class 2: a declared shape far larger than the data sent.
    static let allocation: [Case] = {
        let (binary, binaryHeaders) = binaryAdd("[1073741824,4]", size: 17_179_869_184, payload: 16)
        return [
            Case(
                name: "issue example", uri: "/v2/models/add/infer", body: add("[1073741824,4]"),
                message: "input 'a': shape [1073741824, 4] of float32 needs 17179869184 bytes, more than the request can carry (at most 580)"),
            Case(
                name: "image model input with one value", uri: "/v2/models/gen/infer",
                body: Data(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[100000,3,224,224],"data":[0]}]}"#.utf8),
                message:
                    "input 'input': shape [100000, 3, 224, 224] of float32 needs 60211200000 bytes, more than the request can carry (at most 340)"),
            Case(
                name: "binary data claiming 16 GiB", uri: "/v2/models/add/infer", body: binary, headers: binaryHeaders,
                message: "input 'a': binary_data_size 17179869184 runs past the body: 16 bytes left after Inference-Header-Content-Length"),
            Case(
                name: "nested empty data for a large shape", uri: "/v2/models/add/infer", body: add("[65536,4]", data: "[]"),
                message: "input 'a': shape [65536, 4] of float32 needs 1048576 bytes, more than the request can carry (at most 532)"),
        ]
    }()

    /// Class 5: lenient JSON the RFC does not allow, and non-integer shapes.
    static let strictJSON: [Case] = [
        Case(
            name: "trailing comma in an array", uri: "/v2/models/add/infer", body: add("[1,4]", data: "[1,2,3,4,]"),
            message: "malformed JSON in the request body: expected a JSON object with 'inputs'"),
        Case(
            name: "trailing comma in an object", uri: "/v2/models/add/infer",
            body: Data(#"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4],}]}"#.utf8),
            message: "malformed JSON in the request body: expected a JSON object with 'inputs'"),
        Case(
            name: "NaN literal", uri: "/v2/models/add/infer", body: add("[1,4]", data: "[NaN,2,3,4]"),
            message: "malformed JSON in the request body: expected a JSON object with 'inputs'"),
        Case(
            name: "shape 1.0", uri: "/v2/models/add/infer", body: add("[1.0,4]"),
            message: "field 'inputs[0].shape[0]' is 1.0: expected an integer dimension from 0 to 9223372036854775807"),
        Case(
            name: "shape 1e0", uri: "/v2/models/add/infer", body: add("[1,4e0]"),
            message: "field 'inputs[0].shape[1]' is 4.0: expected an integer dimension from 0 to 9223372036854775807"),
        Case(
            name: "shape beyond Int64", uri: "/v2/models/add/infer", body: add("[18446744073709551615,4]"),
            message: "field 'inputs[0].shape[0]' is 18446744073709551615: expected an integer dimension from 0 to 9223372036854775807"),
    ]

    @Test(arguments: overflow + allocation + strictJSON)
    func refusedAndStillServing(_ hostile: Case) async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: hostile.uri, method: .post, headers: hostile.headers, body: ByteBuffer(data: hostile.body)) { response in
                #expect(response.status == hostile.status)
                #expect(response.errorMessage == hostile.message)
            }
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: BadRequestTests.goodAdd)) { response in
                #expect(response.status == .ok)
                let outputs = try response.json(InferResponse.self).outputs
                #expect(outputs.first?.data == [2, 3, 4, 5])
            }
        }
    }

    @Test func escapedNamesStillParse() async throws {
        // The strict parser also takes what JSONDecoder took: escapes in strings.
        try await TestServer.withApp { client in
            let body =
                #"{"id":"tab\there \u00e9\ud83d\ude00","inputs":[{"name":"\u0061","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(InferResponse.self)
                #expect(decoded.id == "tab\there é😀")
                #expect(decoded.outputs.first?.data == [2, 3, 4, 5])
            }
        }
    }

    @Test(arguments: ["/v2/health/live", "/v2/health/ready", "/v2", "/v2/models/add", "/v2/models/add/ready", "/"])
    func headAnswersEveryGetRoute(_ uri: String) async throws {
        try await TestServer.withApp(.live) { client in
            var getLength: String?
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                getLength = response.headers[.contentLength]
            }
            try await client.execute(uri: uri, method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.contentLength] == getLength)
            }
        }
    }

    @Test func headOnUnknownModelIs404WithoutBody() async throws {
        try await TestServer.withApp(.live) { client in
            try await client.execute(uri: "/v2/models/nope", method: .head) { response in
                #expect(response.status == .notFound)
                #expect(response.body.readableBytes == 0)
            }
        }
    }
}
