import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
import LedgeTesting
import Logging
import Synchronization
@testable import LedgeServing
import Testing

@Suite(.ownThread) struct RequestIDTests {
    static let header = HTTPField.Name("X-Request-Id")!

    func withApp(_ logger: Logger = TestServer.logger, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(configuration: ServerConfiguration(port: 0), repository: try TestServer.repository(), logger: logger)
        try await app.test(.router, body)
    }

    @Test func aSaneIDIsEchoed() async throws {
        let id = "Abc-123_x." + String(repeating: "z", count: 118)
        try await withApp { client in
            try await client.execute(uri: "/v2/health/live", method: .get, headers: [Self.header: id]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[Self.header] == id)
            }
            // Errors carry it too.
            try await client.execute(uri: "/v2/models/nope", method: .get, headers: [Self.header: "r-404"]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[Self.header] == "r-404")
            }
        }
    }

    @Test func missingOrInsaneIDsAreReplacedByGeneratedOnes() async throws {
        let insane = ["", "has space", "semi;colon", "ünï", String(repeating: "a", count: 129)]
        try await withApp { client in
            var seen: Set<String> = []
            for value in [nil] + insane {
                let headers: HTTPFields = value.map { [Self.header: $0] } ?? [:]
                try await client.execute(uri: "/v2/health/live", method: .get, headers: headers) { response in
                    let id = try #require(response.headers[Self.header])
                    #expect(id != value)
                    #expect(!id.isEmpty && id.count <= 32)
                    #expect(id.allSatisfy { $0.isHexDigit })
                    seen.insert(id)
                }
            }
            #expect(seen.count == insane.count + 1)
        }
    }

    @Test func everyRequestLogsOneAccessLineWithItsID() async throws {
        let capture = LogCapture()
        try await withApp(capture.logger()) { client in
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post, headers: [Self.header: "trace-7"],
                body: ByteBuffer(string: BadRequestTests.goodAdd)
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post, headers: [Self.header: "trace-8"],
                body: ByteBuffer(string: "{")
            ) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v2", method: .get, headers: [Self.header: "trace-9"]) { #expect($0.status == .ok) }
        }
        let access = capture.events.withLock { $0 }.filter { $0.message == "request" }
        #expect(access.count == 3)
        #expect(access.map(\.level) == [.info, .info, .info])
        #expect(access.map { $0.metadata["request_id"]?.description } == ["trace-7", "trace-8", "trace-9"])
        #expect(access.map { $0.metadata["status"]?.description } == ["200", "400", "200"])
        #expect(access.map { $0.metadata["method"]?.description } == ["POST", "POST", "GET"])
        #expect(access.map { $0.metadata["path"]?.description } == ["/v2/models/add/infer", "/v2/models/add/infer", "/v2"])
        #expect(access.map { $0.metadata["model"]?.description } == ["add", "add", nil])
        #expect(access.allSatisfy { Double($0.metadata["duration_ms"]?.description ?? "") != nil })
    }
}
