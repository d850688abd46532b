import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeCompression
import LedgeTesting
import Testing

/// Responses of other routes than V2 infer are compressed when asked and at least 1 KB: the
/// Prometheus exposition (Prometheus sends `Accept-Encoding: gzip`), the web page, Seldon predictions;
/// short ones (probes, errors) stay plain.
@Suite(.ownThread) struct ResponseCompressionTests {
    static func inflate(_ body: ByteBuffer, _ coding: String) throws -> String {
        let bytes = Array(body.readableBytesView)
        let plain = try bytes.withUnsafeBytes {
            try Inflater.whole($0, format: coding == "gzip" ? .gzip : .zlib, limit: 16 << 20, label: "response", tooLargeHint: "")
        }
        return String(decoding: plain, as: UTF8.self)
    }

    @Test(arguments: ["gzip", "deflate"])
    func largeResponsesAreCompressedAsAccepted(coding: String) async throws {
        try await TestServer.withApp { client in
            let accept: HTTPFields = [.acceptEncoding: coding]
            for path in ["/"] {
                let plain = try await client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.contentEncoding] == nil)
                    #expect(response.headers[.vary] == "Accept-Encoding", "\(path)")
                    #expect(response.body.readableBytes >= 1024, "\(path): \(response.body.readableBytes) bytes")
                    return String(buffer: response.body)
                }
                let length = try await client.execute(uri: path, method: .get, headers: accept) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentEncoding] == coding, "\(path)")
                    #expect(response.headers[.contentLength] == String(response.body.readableBytes))
                    #expect(response.body.readableBytes < plain.utf8.count / 2, "\(path)")
                    let inflated = try Self.inflate(response.body, coding)
                    #expect(inflated == plain, "\(path)")
                    return response.body.readableBytes
                }
                try await client.execute(uri: path, method: .head, headers: accept) { response in
                    #expect(response.headers[.contentEncoding] == coding)
                    #expect(response.headers[.contentLength] == String(length))
                    #expect(response.body.readableBytes == 0)
                }
            }
            // A Seldon prediction of all 1,000 classes.
            let image = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
            let seldon = ByteBuffer(string: #"{"binData":""# + image.base64EncodedString() + #""}"#)
            let uri = "/seldon/ns/efficientnet/api/v1.0/predictions?top_k=1000"
            try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json", .acceptEncoding: coding], body: seldon) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == coding)
                let inflated = try Self.inflate(response.body, coding)
                #expect(inflated.contains(#""names":["Egyptian cat","#), "\(inflated.prefix(300))")
            }
            // The exposition changes from scrape to scrape: check what it inflates to.
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: BadRequestTests.goodAdd)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: accept) { response in
                #expect(response.headers[.contentEncoding] == coding)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let inflated = try Self.inflate(response.body, coding)
                #expect(
                    inflated.contains(#"ledge_inference_request_success_total{model="add",version="1",protocol="http"} 1"#), "\(inflated.prefix(300))"
                )
            }
        }
    }

    @Test func shortResponsesStayPlain() async throws {
        try await TestServer.withApp { client in
            let accept: HTTPFields = [.acceptEncoding: "gzip"]
            for (method, path) in [(HTTPRequest.Method.get, "/v2/health/ready"), (.get, "/v2/models/nope"), (.post, "/v2/models/add/classify")] {
                try await client.execute(uri: path, method: method, headers: accept) { response in
                    #expect(response.headers[.contentEncoding] == nil, "\(path)")
                    #expect(response.headers[.vary] == nil, "\(path)")
                    #expect(String(buffer: response.body).hasPrefix("{"), "\(path)")
                }
            }
        }
    }
}
