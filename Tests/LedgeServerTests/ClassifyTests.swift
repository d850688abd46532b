import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
import LedgeTesting
@testable import LedgeServing
import Testing

@Suite(.ownThread) struct ClassifyTests {
    struct Classified: Decodable {
        struct Top: Decodable { var index: Int; var label: String; var score: Float }
        struct Timing: Decodable { var decode: Int; var preprocess: Int; var infer: Int; var postprocess: Int; var total: Int }
        var model_name: String
        var top: [Top]
        var timing_us: Timing
    }

    func image(_ name: String) throws -> ByteBuffer {
        ByteBuffer(data: try #require(FileManager.default.contents(atPath: Fixtures.image(name))))
    }

    @Test func photosGetTheirLabels() async throws {
        let chelsea = try image("chelsea.jpg"), coffee = try image("coffee.png")
        try await TestServer.withApp { client in
            try await client.execute(
                uri: "/v2/models/efficientnet/classify?top_k=3", method: .post,
                headers: [.contentType: "image/jpeg"], body: chelsea
            ) { response in
                #expect(response.status == .ok)
                let result = try response.json(Classified.self)
                #expect(result.model_name == "efficientnet")
                #expect(result.top.count == 3)
                #expect(result.top.first?.label == "Egyptian cat")
                let t = result.timing_us
                #expect(t.total >= t.decode + t.preprocess + t.infer + t.postprocess)
            }
            try await client.execute(
                uri: "/v2/models/efficientnet/classify", method: .post,
                headers: [.contentType: "image/png"], body: coffee
            ) { response in
                let result = try response.json(Classified.self)
                #expect(result.top.count == 5)
                #expect(result.top.first?.label == "espresso")
            }
            // A version's route, as infer has one (it answered a bare 404); an unknown version's 404 names it.
            try await client.execute(
                uri: "/v2/models/efficientnet/versions/1/classify?top_k=1", method: .post,
                headers: [.contentType: "image/jpeg"], body: chelsea
            ) { response in
                let result = try response.json(Classified.self)
                #expect(result.top.map(\.label) == ["Egyptian cat"])
            }
            try await client.execute(
                uri: "/v2/models/efficientnet/versions/7/classify", method: .post, headers: [.contentType: "image/jpeg"], body: chelsea
            ) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage == "model 'efficientnet' has no version '7': expected 1")
            }
        }
    }

    func expectImageError(
        _ file: String?, contentType: String = "image/jpeg", query: String = "",
        status: HTTPResponse.Status, message: String
    ) async throws {
        let body = try file.map(image) ?? ByteBuffer()
        let chelsea = try image("chelsea_224.jpg")
        try await TestServer.withApp { client in
            try await client.execute(
                uri: "/v2/models/efficientnet/classify" + query, method: .post,
                headers: [.contentType: contentType], body: body
            ) { response in
                #expect(response.status == status)
                #expect(response.errorMessage == message)
            }
            try await client.execute(
                uri: "/v2/models/efficientnet/classify", method: .post,
                headers: [.contentType: "image/jpeg"], body: chelsea
            ) { #expect($0.status == .ok) }
        }
    }

    @Test func zeroByteImage() async throws {
        try await expectImageError(nil, status: .badRequest, message: "request body: empty file, expected a JPEG or PNG image")
    }

    @Test func truncatedImage() async throws {
        try await expectImageError(
            "truncated.jpg", status: .badRequest,
            message: "request body: corrupt or truncated JPEG (Premature end of JPEG file)")
    }

    @Test func hugeHeaderIsRejectedBeforeDecoding() async throws {
        try await expectImageError(
            "huge_header.jpg", status: .badRequest,
            message: "request body: image is 60000x60000 pixels, over the limit of 100 megapixels or 32768 pixels a side")
    }

    @Test func truncatedPNG() async throws {
        try await expectImageError(
            "truncated.png", contentType: "image/png", status: .badRequest,
            message: "request body: corrupt or truncated PNG (unexpected end of data)")
    }

    @Test func unsupportedImageType() async throws {
        try await expectImageError(
            "chelsea.jpg", contentType: "text/plain", status: .unsupportedMediaType,
            message: "unsupported content type 'text/plain' for classify: expected image/jpeg, image/png or multipart/form-data")
    }

    @Test func badTopK() async throws {
        try await expectImageError(
            "chelsea.jpg", query: "?top_k=zero", status: .badRequest,
            message: "query parameter top_k is 'zero': expected an integer of at least 1")
    }

    @Test func modelWithoutAnImageInput() async throws {
        try await TestServer.withApp { client in
            try await client.execute(
                uri: "/v2/models/add/classify", method: .post,
                headers: [.contentType: "image/jpeg"], body: try image("chelsea.jpg")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage?.hasPrefix("model 'add' cannot classify images: ") == true)
            }
        }
    }
}
