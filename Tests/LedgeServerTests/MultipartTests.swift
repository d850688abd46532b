import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
import LedgeTesting
@testable import LedgeServing
import Testing

/// `POST /v2/models/{m}/classify` with a `multipart/form-data` body, as browsers and `curl -F` send it.
@Suite(.ownThread) struct MultipartTests {
    static let boundary = "----LedgeFormBoundary7MA4YWxkTrZu0gW"

    /// A multipart body: each part is its header lines and content; `closing: false` leaves off `--B--`.
    static func body(
        boundary: String = boundary, _ parts: [(headers: [String], content: Data)],
        preamble: String = "", epilogue: String = "", closing: Bool = true
    ) -> Data {
        var data = Data(preamble.utf8)
        for part in parts {
            data += Data("--\(boundary)\r\n".utf8)
            data += Data(part.headers.map { $0 + "\r\n" }.joined().utf8) + Data("\r\n".utf8)
            data += part.content + Data("\r\n".utf8)
        }
        if closing { data += Data("--\(boundary)--\r\n\(epilogue)".utf8) }
        return data
    }

    static func file(_ field: String, _ name: String, type: String?, _ content: Data) -> (headers: [String], content: Data) {
        var headers = [#"Content-Disposition: form-data; name="\#(field)"; filename="\#(name)""#]
        if let type { headers.append("Content-Type: \(type)") }
        return (headers, content)
    }

    static func image(_ name: String) throws -> Data {
        try #require(FileManager.default.contents(atPath: Fixtures.image(name)))
    }

    static func contentType(_ boundary: String = boundary) -> HTTPFields {
        [.contentType: "multipart/form-data; boundary=\(boundary)"]
    }

    @Test func photosAsFormUploadsGetTheirLabels() async throws {
        let chelsea = Self.body([Self.file("image", "chelsea.jpg", type: "image/jpeg", try Self.image("chelsea.jpg"))])
        // A quoted boundary, a preamble and an epilogue, a text field first, a generic part type.
        let quoted = "ledge: a \"quoted\" boundary"
        let coffee = Self.body(
            boundary: quoted,
            [
                ([#"Content-Disposition: form-data; name="note""#], Data("hello".utf8)),
                Self.file("photo", "coffee.png", type: "application/octet-stream", try Self.image("coffee.png")),
            ], preamble: "This is the preamble.\r\n", epilogue: "the epilogue")
        try await TestServer.withApp { client in
            try await client.execute(
                uri: "/v2/models/efficientnet/classify?top_k=3", method: .post,
                headers: Self.contentType(), body: ByteBuffer(data: chelsea)
            ) { response in
                #expect(response.status == .ok)
                let result = try response.json(ClassifyTests.Classified.self)
                #expect(result.model_name == "efficientnet")
                #expect(result.top.count == 3)
                #expect(result.top.first?.label == "Egyptian cat")
            }
            try await client.execute(
                uri: "/v2/models/efficientnet/classify", method: .post,
                headers: [.contentType: #"multipart/form-data; boundary="ledge: a \"quoted\" boundary""#],
                body: ByteBuffer(data: coffee)
            ) { response in
                #expect(response.status == .ok)
                let result = try response.json(ClassifyTests.Classified.self)
                #expect(result.top.count == 5)
                #expect(result.top.first?.label == "espresso")
            }
        }
    }

    /// Sends `body`, expects `status` and `message`, then a good upload still gets its label.
    func expectError(
        _ body: Data, headers: HTTPFields = MultipartTests.contentType(),
        status: HTTPResponse.Status = .badRequest, message: String
    ) async throws {
        let good = Self.body([Self.file("image", "chelsea_224.jpg", type: "image/jpeg", try Self.image("chelsea_224.jpg"))])
        try await TestServer.withApp { client in
            try await client.execute(
                uri: "/v2/models/efficientnet/classify", method: .post,
                headers: headers, body: ByteBuffer(data: body)
            ) { response in
                #expect(response.status == status)
                #expect(response.errorMessage == message)
            }
            try await client.execute(
                uri: "/v2/models/efficientnet/classify", method: .post,
                headers: Self.contentType(), body: ByteBuffer(data: good)
            ) { response in
                #expect(response.status == .ok)
                let result = try response.json(ClassifyTests.Classified.self)
                #expect(result.top.first?.label == "Egyptian cat")
            }
        }
    }

    static func jpegPart() throws -> (headers: [String], content: Data) {
        file("image", "chelsea.jpg", type: "image/jpeg", try image("chelsea_224.jpg"))
    }

    @Test func noBoundaryParameter() async throws {
        try await expectError(
            Self.body([try Self.jpegPart()]), headers: [.contentType: "multipart/form-data"],
            message: "content type multipart/form-data has no boundary parameter: expected 'multipart/form-data; boundary=…'")
    }

    @Test func boundaryTooLong() async throws {
        let long = String(repeating: "x", count: 71)
        try await expectError(
            Self.body(boundary: long, [try Self.jpegPart()]), headers: Self.contentType(long),
            message: "multipart boundary '\(long)' is not valid: expected 1 to 70 characters on one line")
    }

    @Test func noClosingBoundary() async throws {
        try await expectError(
            Self.body([try Self.jpegPart()], closing: false),
            message: "multipart body has no closing boundary '--\(Self.boundary)--'")
    }

    @Test func bodyWithoutTheBoundary() async throws {
        try await expectError(
            try Self.image("chelsea_224.jpg"),
            message: "multipart body has no boundary '--\(Self.boundary)': expected the first part to start with it")
    }

    @Test func emptyBody() async throws {
        try await expectError(
            Data(),
            message: "multipart body has no boundary '--\(Self.boundary)': expected the first part to start with it")
    }

    @Test func bareLineFeeds() async throws {
        let body = Data("--\(Self.boundary)\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\n\nabc\n--\(Self.boundary)--\n".utf8)
        try await expectError(body, message: "multipart part 1: expected CRLF after the boundary '--\(Self.boundary)'")
    }

    @Test func noBlankLineAfterHeaders() async throws {
        let body = Data("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"image\"\r\n--\(Self.boundary)--\r\n".utf8)
        try await expectError(body, message: "multipart part 1 has no blank line after its headers: expected CRLF CRLF before the content")
    }

    @Test func malformedHeaderLine() async throws {
        try await expectError(
            Self.body([(["garbage"], Data("x".utf8))]),
            message: "multipart part 1 has a malformed header line 'garbage': expected 'Name: value'")
    }

    @Test func noFilePart() async throws {
        try await expectError(
            Self.body([([#"Content-Disposition: form-data; name="note""#], Data("hello".utf8))]),
            message: "multipart body has no file part: expected a form field with a filename holding a JPEG or PNG image")
    }

    /// Two photos in one form: refused, not the second dropped unseen.
    @Test func twoFileParts() async throws {
        try await expectError(
            Self.body([try Self.jpegPart(), try Self.jpegPart()]), message: "multipart body has 2 file parts: expected one image a request")
    }

    @Test func filePartThatIsNotAnImage() async throws {
        try await expectError(
            Self.body([Self.file("image", "notes.txt", type: "text/plain", Data("hello".utf8))]),
            status: .unsupportedMediaType,
            message: "form field 'image' (notes.txt) has content type 'text/plain': expected image/jpeg or image/png")
    }

    /// FuzzMultipart's crasher Fuzz/Crashers/FuzzMultipart/part-content-type-with-bare-lf: a bare LF
    /// inside a part's header line reached the 415 message (and the log line) as it was.
    @Test func contentTypeWithALineBreakStaysOnOneLine() async throws {
        try await expectError(
            Self.body([Self.file("image", "a.jpg", type: "text/x\nContent-Type: image/jpeg", Data("hello".utf8))]),
            status: .unsupportedMediaType,
            message: "form field 'image' (a.jpg) has content type 'text/x?content-type: image/jpeg': expected image/jpeg or image/png")
    }

    @Test func emptyFilePart() async throws {
        // What a browser sends for a file input with no file chosen.
        try await expectError(
            Self.body([Self.file("image", "", type: "application/octet-stream", Data())]),
            message: "form field 'image': empty file, expected a JPEG or PNG image")
    }

    @Test func truncatedJPEGPart() async throws {
        try await expectError(
            Self.body([Self.file("image", "truncated.jpg", type: "image/jpeg", try Self.image("truncated.jpg"))]),
            message: "form field 'image' (truncated.jpg): corrupt or truncated JPEG (Premature end of JPEG file)")
    }
}
