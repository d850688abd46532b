import Foundation
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// The same app on a real loopback socket.
@Suite(.ownThread) struct LiveTests {
    @Test func inferOverALiveSocket() async throws {
        try await TestServer.withApp(.live) { client in
            #expect(client.port != nil)
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post, headers: jsonHeaders,
                body: ByteBuffer(string: BadRequestTests.goodAdd)
            ) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(InferResponse.self)
                #expect(decoded.outputs.first?.data == [2, 3, 4, 5])
            }
        }
    }
}
