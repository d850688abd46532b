import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// Every refusal of the Seldon routes, answered as the Python wrapper answers a
/// `SeldonMicroserviceException`: the HTTP status and a Seldon status object, exactly.
@Suite(.ownThread) struct SeldonErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var path = "/seldon/default/add/api/v1.0/predictions"
        var contentType = "application/json"
        var body: String
        var status: HTTPResponse.Status = .badRequest
        var info: String
        /// The message goes on with the model file's (temporary) path.
        var pathFollows = false
        var testDescription: String { "\(status.code) \(info)" }
    }

    static let gen = "/seldon/default/gen/api/v1.0/predictions"
    static let efficientnet = "/seldon/default/efficientnet/api/v1.0/predictions"
    static let goodAdd = #""jsonData":{"a":{"ndarray":[[1,2,3,4]]},"b":{"ndarray":[[1,2,3,4]]}}"#

    static let cases: [Case] = [
        Case(
            path: "/api/v1.0/predictions", body: #"{"data":{"ndarray":[[1]]}}"#,
            info: "3 models are served (add, efficientnet, gen): name one with POST /seldon/{namespace}/{model}/api/v1.0/predictions"),
        Case(path: "/seldon/ns/nope/api/v1.0/predictions", body: "{" + goodAdd + "}", status: .notFound, info: "unknown model 'nope'"),
        Case(
            body: #"{"strData":"hi"}"#,
            info: "'strData' payloads are not supported: expected 'data' (ndarray or tensor), 'binData' (an image) or 'jsonData'"),
        Case(
            body: #"{"data":{"ndarray":[[1,2,3,4]]}}"#,
            info: #"model 'add' has 2 inputs (a, b): Seldon's 'data' carries one tensor, send 'jsonData' with one {"ndarray": …} per input name"#),
        Case(body: #"{"data":"#, info: "malformed JSON in the request body: expected a Seldon message object with 'data', 'binData' or 'jsonData'"),
        Case(body: "[1]", info: "the request is an array: expected a Seldon message object with 'data', 'binData' or 'jsonData'"),
        Case(body: #"{"meta":{}}"#, info: "the request has none of 'data', 'binData' or 'jsonData': expected exactly one"),
        Case(body: #"{"data":{"ndarray":[[1]]},"binData":"AA=="}"#, info: "the request has 'data' and 'binData': expected exactly one payload"),
        Case(body: #"{"meta":1,"# + goodAdd + "}", info: "field 'meta' is a number: expected an object"),
        Case(body: #"{"meta":{"tags":[1]},"# + goodAdd + "}", info: "field 'meta.tags' is an array: expected an object"),
        Case(body: #"{"meta":{"puid":7},"# + goodAdd + "}", info: "field 'meta.puid' is a number: expected a string"),
        Case(
            path: gen, body: #"{"data":{"ndarray":[[1,2],[3]]}}"#,
            info: "field 'data.ndarray' is not rectangular: a row at depth 1 is of another length, expected every row to match shape [2, 2]"),
        Case(
            path: gen, body: #"{"data":{"ndarray":[[1,2],3]}}"#,
            info: "field 'data.ndarray' is not rectangular: a row at depth 1 is a number, expected every row to match shape [2, 2]"),
        Case(
            path: gen, body: #"{"data":{"ndarray":[["a"]]}}"#,
            info: "field 'data.ndarray' holds a string at depth 2: expected numbers or booleans in a rectangular array of shape [1, 1]"),
        Case(path: gen, body: #"{"data":{"ndarray":5}}"#, info: "field 'data.ndarray' is a number: expected an array"),
        Case(
            path: gen, body: #"{"data":{"ndarray":[[1,2]]}}"#,
            info: "field 'data.ndarray': shape [1, 2] does not match input 'input' of model 'gen': expected [-1, 3, 224, 224]"),
        Case(
            path: gen, body: #"{"data":{"tensor":{"shape":[1,3,2,2],"values":[1,2]}}}"#,
            info: "field 'data.tensor': shape [1, 3, 2, 2] needs 12 values, got 2 in 'values'"),
        Case(
            path: gen, body: #"{"data":{"tensor":{"shape":[-1],"values":[]}}}"#,
            info: "field 'data.tensor.shape' holds -1: expected sizes of 0 or more"),
        Case(
            path: gen, body: #"{"data":{"tensor":{"shape":[1.5],"values":[]}}}"#,
            info: "field 'data.tensor.shape' holds 1.5: expected sizes of 0 or more"),
        Case(
            path: gen, body: #"{"data":{"tensor":{"shape":[1],"values":["x"]}}}"#, info: "field 'data.tensor.values' holds a string: expected numbers"
        ),
        Case(path: gen, body: #"{"data":{"tensor":[1]}}"#, info: "field 'data.tensor' is an array: expected an object with 'shape' and 'values'"),
        Case(path: gen, body: #"{"data":{"tftensor":{}}}"#, info: "field 'data.tftensor' is not supported: expected 'ndarray' or 'tensor'"),
        Case(path: gen, body: #"{"data":{"names":["a"]}}"#, info: "field 'data' has neither 'ndarray' nor 'tensor': expected one of them"),
        Case(
            path: gen, body: #"{"data":{"names":[1],"ndarray":[[1]]}}"#, info: "field 'data.names' is not an array of strings: expected column names"),
        Case(
            path: efficientnet, body: #"{"binData":5}"#, info: "field 'binData' is not base64 text: expected the image bytes (JPEG or PNG) in base64"),
        Case(
            path: efficientnet + "?top_k=0", body: #"{"binData":"AAAA"}"#, info: "query parameter top_k is '0': expected an integer of at least 1"),
        Case(body: #"{"binData":"AAAA"}"#, info: "model 'add' cannot classify images: ", pathFollows: true),
        Case(path: efficientnet, body: #"{"binData":"AAAA"}"#, info: "binData: not a JPEG or PNG image"),
        Case(
            body: #"{"jsonData":{"a":{"ndarray":[[1,2,3,4]]},"c":{"ndarray":[[1]]}}}"#,
            info: "field 'jsonData.c' is not an input of model 'add': expected 'a', 'b'"),
        Case(body: #"{"jsonData":{"a":{"ndarray":[[1,2,3,4]]}}}"#, info: "model 'add' expects input 'b', missing from 'jsonData'"),
        Case(
            body: #"{"jsonData":[1]}"#,
            info: #"field 'jsonData' is an array: expected an object with one {"ndarray": …} or {"tensor": …} per input name"#),
        Case(
            contentType: "text/plain", body: "{" + goodAdd + "}", status: .unsupportedMediaType,
            info:
                "unsupported content type 'text/plain' for predictions: expected application/json, application/x-www-form-urlencoded or multipart/form-data"
        ),
        Case(
            contentType: "application/x-www-form-urlencoded", body: "a=1",
            info: "the form has no field 'json': expected json=<the Seldon message as JSON>"),
        Case(
            contentType: "application/x-www-form-urlencoded", body: "json=%zz",
            info: "form field 'json' has a '%' not followed by two hex digits: expected URL encoding"),
    ]

    @Test(arguments: cases) func refusedWithASeldonStatus(_ refusal: Case) async throws {
        try await TestServer.withApp { client in
            try await client.execute(
                uri: refusal.path, method: .post, headers: [.contentType: refusal.contentType], body: ByteBuffer(string: refusal.body)
            ) { response in
                #expect(response.status == refusal.status)
                #expect(response.headers[.contentType] == "application/json")
                let body = String(buffer: response.body)
                if refusal.pathFollows {
                    let expected = Self.status(refusal.info + "PATH").components(separatedBy: "PATH")
                    #expect(body.hasPrefix(expected[0]) && body.hasSuffix(expected[1]), "\(body)")
                    #expect(body.contains("add.onnx: model has 2 inputs (a, b), expected one image input"))
                } else {
                    #expect(body == Self.status(refusal.info))
                }
            }
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        try await TestServer.withApp(maxBodySize: 64) { client in
            let body = ByteBuffer(string: #"{"data":{"ndarray":["# + String(repeating: "1,", count: 64) + "1]}}")
            try await client.execute(uri: Self.gen, method: .post, headers: jsonHeaders, body: body) { response in
                #expect(response.status == .contentTooLarge)
                let info = "request body exceeds the limit of 64 bytes (--max-body-size)"
                #expect(String(buffer: response.body) == Self.status(info))
            }
        }
    }

    /// The wrapper's `SeldonMicroserviceException.to_dict()` for `info`, keys sorted as Flask sends them.
    static func status(_ info: String, reason: String = "MICROSERVICE_BAD_DATA") -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let quoted = String(decoding: (try? encoder.encode(info)) ?? Data(), as: UTF8.self)
        return #"{"status":{"code":-1,"info":"# + quoted + #","reason":""# + reason + #"","status":1}}"#
    }
}
