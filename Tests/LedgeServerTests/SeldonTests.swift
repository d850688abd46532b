import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeCore
import LedgeServer
import LedgeTesting
@testable import LedgeServing
import Testing

/// Seldon Core's v1 protocol: each request form on the routes the Python wrapper and
/// `SeldonClient` use, with exact bodies where the numbers allow it.
@Suite(.ownThread) struct SeldonTests {
    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
    static let addMessage = #"{"jsonData": {"a":{"ndarray":[[1,2,3,4]]},"b":{"tensor":{"shape":[1,4],"values":[0.5,0.5,0.5,0.5]}}}}"#
    static let addAnswer =
        #"{"jsonData":{"sum":{"names":["t:0","t:1","t:2","t:3"],"ndarray":[[1.5,2.5,3.5,4.5]]}},"meta":{"requestPath":{"add":"ledge:0.1.0"}}}"#

    @Test func healthPingAndStatusAnswerAsTheWrapper() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/health/ping", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "pong")
            }
            for path in ["/health/status", "/api/v1.0/health/status"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == #"{"meta":{},"strData":"healthy"}"#)
                }
            }
        }
    }

    @Test func ndarrayInNdarrayOutOnTheSingleModel() async throws {
        let reference = try Fixtures.referenceCase("onnx_gen_b1")
        let rows = try Self.nested(reference.inputs[0])
        let body = try JSONSerialization.data(withJSONObject: ["data": ["names": ["x"], "ndarray": rows]])
        try await TestServer.withModel("mobilenet_gen.onnx", name: "gen") { client in
            try await client.execute(uri: "/api/v1.0/predictions", method: .post, headers: jsonHeaders, body: ByteBuffer(data: body)) { response in
                #expect(response.status == .ok)
                let answer = try response.json(Answer.self)
                let got = try #require(answer.data?.ndarray)
                #expect(got.count == 1 && got[0].count == 1000)
                Self.expectClose(got.flatMap { $0 }, reference.outputs[0].values(as: Float.self))
                #expect(answer.data?.names == (0..<1000).map { "t:\($0)" })
                #expect(answer.data?.tensor == nil)
                #expect(answer.meta == Answer.Meta(requestPath: ["gen": "ledge:0.1.0"]))
            }
        }
    }

    @Test func tensorInTensorOutWithABatch() async throws {
        let reference = try Fixtures.referenceCase("onnx_gen_b4")
        let input = reference.inputs[0]
        let tensor: [String: Any] = ["shape": input.shape, "values": input.values(as: Float.self).map(Double.init)]
        let body = try JSONSerialization.data(withJSONObject: ["data": ["tensor": tensor]])
        try await TestServer.withModel("mobilenet_gen.onnx", name: "gen") { client in
            try await client.execute(uri: "/api/v0.1/predictions", method: .post, headers: jsonHeaders, body: ByteBuffer(data: body)) { response in
                #expect(response.status == .ok)
                let answer = try response.json(Answer.self)
                let got = try #require(answer.data?.tensor)
                #expect(got.shape == [4, 1000])
                Self.expectClose(got.values, reference.outputs[0].values(as: Float.self))
                #expect(answer.data?.ndarray == nil)
            }
        }
    }

    @Test func formFieldAndQueryParameterCarryTheMessage() async throws {
        let encoded = Self.addMessage.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await TestServer.withModel("add.onnx", name: "add") { client in
            // What SeldonClient.microservice posts: a form with json=…, `+` for spaces.
            let form = "other=1&json=" + encoded.replacingOccurrences(of: "%20", with: "+")
            try await client.execute(uri: "/predict", method: .post, headers: Self.formHeaders, body: ByteBuffer(string: form)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == Self.addAnswer)
            }
            try await client.execute(uri: "/predict?json=" + encoded, method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == Self.addAnswer)
            }
        }
    }

    @Test(arguments: ["/seldon/default/add/api/v1.0/predictions", "/seldon/add/api/v0.1/predictions"])
    func gatewayPathsNameTheModelAndMetaIsEchoed(path: String) async throws {
        let message =
            #"{"meta":{"puid":"p-1","tags":{"z":1,"a":{"k":[true,null,"s"]}},"requestPath":{"router":"img:1"},"metrics":[{"key":"m","value":2.5}]},"#
            + #""jsonData":{"a":{"tensor":{"shape":[2.0,4.0],"values":[1,2,3,4,5,6,7,8]}},"b":{"tensor":{"shape":[2,4],"values":[1,1,1,1,2,2,2,2]}}}}"#
        let expected =
            #"{"jsonData":{"sum":{"names":["t:0","t:1","t:2","t:3"],"tensor":{"shape":[2,4],"values":[2,3,4,5,7,8,9,10]}}},"#
            + #""meta":{"metrics":[{"key":"m","value":2.5}],"puid":"p-1","requestPath":{"add":"ledge:0.1.0","router":"img:1"},"tags":{"a":{"k":[true,null,"s"]},"z":1}}}"#
        try await TestServer.withApp { client in
            try await client.execute(uri: path, method: .post, headers: jsonHeaders, body: ByteBuffer(string: message)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == expected)
            }
        }
    }

    @Test func binDataClassifiesWithTheLabelsAsNames() async throws {
        let image = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
        let body = #"{"binData":""# + image.base64EncodedString() + #""}"#
        try await TestServer.withApp { client in
            for (query, count) in [("", 5), ("?top_k=2", 2)] {
                try await client.execute(
                    uri: "/seldon/ns/efficientnet/api/v1.0/predictions" + query, method: .post, headers: jsonHeaders, body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == .ok)
                    let answer = try response.json(Answer.self)
                    #expect(answer.data?.names.count == count)
                    #expect(answer.data?.names.first == "Egyptian cat")
                    let scores = try #require(answer.data?.ndarray?.first)
                    #expect(scores.count == count && scores == scores.sorted(by: >))
                }
            }
        }
    }

    @Test func multipartFormWithABinDataFile() async throws {
        let image = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
        let boundary = "seldon-boundary"
        var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{\"puid\":\"form\"}\r\n".utf8)
        form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"binData\"; filename=\"chelsea.jpg\"\r\n".utf8)
        form += Data("Content-Type: image/jpeg\r\n\r\n".utf8) + image + Data("\r\n--\(boundary)--\r\n".utf8)
        let body = form
        try await TestServer.withApp { client in
            try await client.execute(
                uri: "/seldon/efficientnet/api/v1.0/predictions", method: .post,
                headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: ByteBuffer(data: body)
            ) { response in
                #expect(response.status == .ok)
                let answer = try response.json(Answer.self)
                #expect(answer.data?.names.first == "Egyptian cat")
                #expect(answer.meta.puid == "form")
            }
        }
    }

    /// A tensor's float values as nested arrays of its shape.
    static func nested(_ tensor: Tensor) throws -> [Any] {
        let values = tensor.values(as: Float.self).map(Double.init)
        func level(_ depth: Int, _ offset: Int) -> Any {
            let stride = tensor.shape[(depth + 1)...].reduce(1, *)
            return (0..<tensor.shape[depth]).map { index in
                depth == tensor.shape.count - 1 ? values[offset + index] : level(depth + 1, offset + index * stride)
            }
        }
        return try #require(level(0, 0) as? [Any])
    }

    static func expectClose(_ got: [Float], _ want: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, sourceLocation: sourceLocation)
        let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5, "differs from onnxruntime by \(worst)", sourceLocation: sourceLocation)
    }
}

/// A decoded Seldon answer.
struct Answer: Decodable {
    struct DefaultData: Decodable {
        struct Tensor: Decodable, Equatable {
            var shape: [Int]
            var values: [Float]
        }
        var names: [String]
        var ndarray: [[Float]]?
        var tensor: Tensor?
    }
    struct Meta: Decodable, Equatable {
        var puid: String?
        var requestPath: [String: String]?
    }
    var data: DefaultData?
    var meta: Meta
}

extension TestServer {
    /// Runs `body` against the app serving fixture model `file` alone, as `name`.
    static func withModel<T>(
        _ file: String, name: String, _ setup: TestingSetup = .router,
        _ body: @Sendable (any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let repository = try ModelRepository.load(.file(path: Fixtures.model(file), name: name), options: RepositoryOptions(), logger: logger)
        let app = buildApplication(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxBodySize: 16 << 20), repository: repository, logger: logger)
        return try await app.test(setup, body)
    }
}
