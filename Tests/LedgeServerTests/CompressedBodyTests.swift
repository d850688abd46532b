import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeCompression
import LedgeTesting
import Testing

/// Request bodies sent with `Content-Encoding: gzip` or `deflate` (tritonclient's
/// `request_compression_algorithm`): inflated before decoding, held to
/// `--max-body-size` once inflated, and refused with a clear error when the
/// coding is unknown or the data damaged.
@Suite(.ownThread) struct CompressedBodyTests {
    static let add = Array(BadRequestTests.goodAdd.utf8)
    static let encoding = HTTPField.Name("Content-Encoding")!

    static func headers(_ coding: String, _ type: String = "application/json") -> HTTPFields {
        [.contentType: type, encoding: coding]
    }

    @Test(arguments: [("gzip", Inflater.Format.gzip), ("deflate", .zlib), ("x-gzip", .gzip), ("GZIP", .gzip)])
    func jsonInferOfACompressedBody(coding: String, format: Inflater.Format) async throws {
        let body = try Deflater.compress(Self.add, format: format, level: 6)
        try await TestServer.withApp { client in
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post, headers: Self.headers(coding), body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(InferResponse.self)
                #expect(decoded.outputs.first?.data == [2, 3, 4, 5])
            }
        }
    }

    /// The binary tensor extension: `Inference-Header-Content-Length` counts the inflated JSON header.
    @Test func binaryTensorsInACompressedBody() async throws {
        let header = Array(
            #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":16}},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
                .utf8)
        let floats: [Float] = [1, 2, 3, 4]
        let raw = floats.withUnsafeBytes { Array($0) }
        let body = try Deflater.compress(header + raw, format: .gzip, level: 6)
        var fields = Self.headers("gzip", "application/octet-stream")
        fields[HTTPField.Name("Inference-Header-Content-Length")!] = String(header.count)
        let headers = fields
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/add/infer", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(InferResponse.self)
                #expect(decoded.outputs.first?.data == [2, 3, 4, 5])
            }
        }
    }

    /// `Accept-Encoding` (tritonclient's `response_compression_algorithm`): the preferred of gzip and
    /// deflate compresses the response; the plain body is what it inflates to.
    @Test(arguments: [
        ("gzip", "gzip"), ("deflate", "deflate"), ("deflate;q=0.5, gzip;q=0.8", "gzip"), ("br, deflate", "deflate"), ("deflate, gzip", "deflate"),
        ("x-gzip;q=0.3, deflate;q=0.2", "gzip"),
        ("identity", nil), ("gzip;q=0", nil), ("br", nil),
    ])
    func responseCompressedAsAccepted(accept: String, coding: String?) async throws {
        try await TestServer.withApp { client in
            let headers: HTTPFields = [.contentType: "application/json", .acceptEncoding: accept]
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post, headers: headers, body: ByteBuffer(string: BadRequestTests.goodAdd)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == coding)
                #expect(response.headers[.vary] == "Accept-Encoding")
                var body = Array(response.body.readableBytesView)
                if let coding {
                    body = try body.withUnsafeBytes {
                        try Inflater.whole($0, format: coding == "gzip" ? .gzip : .zlib, limit: 1 << 20, label: "response", tooLargeHint: "")
                    }
                }
                let decoded = try JSONDecoder().decode(InferResponse.self, from: Data(body))
                #expect(decoded.outputs.first?.data == [2, 3, 4, 5])
            }
        }
    }

    static let refusals: [BadRequest] = [
        BadRequest(
            "a body that inflates past --max-body-size", body: try! Data(Deflater.compress([UInt8](repeating: 32, count: 2 << 20), level: 9)),
            headers: headers("gzip"), status: .contentTooLarge,
            message: "request body (Content-Encoding: gzip): inflates past the limit of 1048576 bytes (--max-body-size)", maxBodySize: 1 << 20),
        BadRequest(
            "an unknown coding", body: BadRequestTests.goodAdd, headers: headers(" br "), status: .unsupportedMediaType,
            message: "Content-Encoding 'br' is not supported: expected gzip, deflate or identity"),
        BadRequest(
            "two codings", body: BadRequestTests.goodAdd, headers: headers("gzip, gzip"), status: .unsupportedMediaType,
            message: "Content-Encoding 'gzip, gzip' is not supported: expected gzip, deflate or identity"),
        BadRequest(
            "plain JSON said to be gzip", body: BadRequestTests.goodAdd, headers: headers("gzip"),
            message: "request body (Content-Encoding: gzip): corrupt gzip data (incorrect header check)"),
        BadRequest(
            "a cut gzip body", body: try! Data(Deflater.compress(add, level: 6).dropLast(12)), headers: headers("gzip"),
            message: "request body (Content-Encoding: gzip): the gzip data is truncated"),
        BadRequest(
            "gzip data said to be deflate", body: try! Data(Deflater.compress(add, level: 6)), headers: headers("deflate"),
            message: "request body (Content-Encoding: deflate): corrupt deflate data (incorrect header check)"),
        BadRequest(
            "a compressed body whose JSON is bad", body: try! Data(Deflater.compress(Array("{\"inputs\": 3}".utf8), format: .zlib, level: 6)),
            headers: headers("deflate"), message: "field 'inputs' has the wrong type: expected an array of objects"),
    ]

    @Test(arguments: refusals)
    func refusedWithItsStatusAndErrorAndTheServerServesOn(_ bad: BadRequest) async throws {
        try await BadRequestTests().getsItsStatusAndErrorAndTheServerServesOn(bad)
    }
}
