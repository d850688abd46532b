import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
import LedgeTesting
import Testing

/// Triton's statistics extension over HTTP (`GET /v2/models[/NAME[/versions/V]]/stats`): counts
/// and times per model version, as perf_analyzer and `get_inference_statistics` read them.
@Suite(.ownThread) struct StatisticsTests {
    struct Duration: Decodable, Equatable {
        var count: UInt64
        var ns: UInt64
    }
    struct Stats: Decodable {
        struct Inference: Decodable { var success, fail, queue, compute_input, compute_infer, compute_output, cache_hit, cache_miss: Duration }
        struct Batch: Decodable {
            var batch_size: Int
            var compute_input, compute_infer, compute_output: Duration
        }
        var name, version: String
        var last_inference, inference_count, execution_count: UInt64
        var inference_stats: Inference
        var batch_stats: [Batch]
        var memory_usage: [Int]
    }
    struct Response: Decodable { var model_stats: [Stats] }

    static func stats(_ client: any TestClientProtocol, _ path: String) async throws -> [Stats] {
        try await client.execute(uri: path, method: .get) { response in
            #expect(response.status == .ok, "\(path): \(response.errorMessage ?? "")")
            return try response.json(Response.self).model_stats
        }
    }

    @Test func countsAndTimesPerModelVersion() async throws {
        try await TestServer.withApp { client in
            let fresh = try await Self.stats(client, "/v2/models/add/stats")
            #expect(fresh.map(\.name) == ["add"] && fresh.first?.version == "1")
            #expect(fresh.first?.inference_count == 0 && fresh.first?.last_inference == 0 && fresh.first?.batch_stats.isEmpty == true)

            let before = UInt64(Date().timeIntervalSince1970 * 1000)
            for _ in 0..<3 {
                try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: BadRequestTests.goodAdd)) {
                    #expect($0.status == .ok)
                }
            }
            let wrongShape = BadRequestTests.goodAdd.replacingOccurrences(of: "[1,4]", with: "[1,5]")
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: wrongShape)) {
                #expect($0.status == .badRequest)
            }
            let after = UInt64(Date().timeIntervalSince1970 * 1000)

            let add = try #require(try await Self.stats(client, "/v2/models/add/versions/1/stats").first)
            #expect(add.inference_count == 3 && add.execution_count == 3)
            #expect((before...after).contains(add.last_inference), "\(add.last_inference) not in \(before)...\(after)")
            let inference = add.inference_stats
            #expect(inference.success.count == 3 && inference.success.ns > 0)
            #expect(inference.fail.count == 1 && inference.fail.ns > 0)
            #expect(inference.queue.count == 3 && inference.compute_infer.count == 3 && inference.compute_infer.ns > 0)
            #expect(inference.compute_infer.ns <= inference.success.ns)
            // Every compute count equals the others (perf_analyzer stops otherwise); tensors have no input time of their own.
            #expect(inference.compute_input == Duration(count: 3, ns: 0) && inference.compute_output == Duration(count: 3, ns: 0))
            #expect(inference.cache_hit == Duration(count: 0, ns: 0) && inference.cache_miss == Duration(count: 0, ns: 0))
            #expect(add.batch_stats.map(\.batch_size) == [1])
            #expect(add.batch_stats.first?.compute_infer.count == 3 && add.batch_stats.first?.compute_infer.ns == inference.compute_infer.ns)
            #expect(add.batch_stats.first?.compute_input.count == 3 && add.batch_stats.first?.compute_output.count == 3)
            #expect(add.memory_usage.isEmpty)

            // A classification's decode and preprocessing is its compute_input.
            let image = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
            try await client.execute(
                uri: "/v2/models/efficientnet/classify", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: image)
            ) { #expect($0.status == .ok) }
            let all = try await Self.stats(client, "/v2/models/stats")
            #expect(all.map(\.name) == ["add", "efficientnet", "gen"])
            let efficientnet = try #require(all.first { $0.name == "efficientnet" })
            #expect(efficientnet.inference_count == 1 && efficientnet.inference_stats.compute_input.count == 1)
            #expect(efficientnet.inference_stats.compute_input.ns > 0 && efficientnet.batch_stats.first?.compute_input.count == 1)
            #expect(all.first { $0.name == "gen" }?.inference_count == 0)
        }
    }

    @Test func unknownModelsAndVersions() async throws {
        try await TestServer.withApp { client in
            for (path, status, message) in [
                ("/v2/models/nope/stats", HTTPResponse.Status.notFound, "unknown model 'nope'"),
                ("/v2/models/add/versions/9/stats", .notFound, "model 'add' has no version '9': expected 1"),
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == status, "\(path)")
                    #expect(response.errorMessage == message, "\(path)")
                }
            }
            try await client.execute(uri: "/v2/models/stats", method: .post) { #expect($0.status == .methodNotAllowed) }
        }
    }
}
