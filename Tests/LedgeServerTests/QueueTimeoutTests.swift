import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeCore
import LedgeServer
@testable import LedgeServing
import LedgeServingTesting
import LedgeTesting
import Logging
import Testing

/// Triton's schedule-policy timeout over HTTP: a request's `parameters.timeout` and a model's
/// `dynamic_batching { default_queue_policy { … } }`. A request still waiting for an instance
/// when its timeout passes gets 503 with its one line; the server goes on serving.
@Suite(.ownThread) struct QueueTimeoutTests {
    static func addBody(timeout: String?) -> String {
        String(BadRequestTests.goodAdd.dropLast()) + (timeout.map { #","parameters":{"timeout":\#($0)}}"# } ?? "}")
    }

    static func infer(_ client: some TestClientProtocol, _ model: String = "add", timeout: String?) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(
            uri: "/v2/models/\(model)/infer", method: .post, headers: jsonHeaders, body: ByteBuffer(string: addBody(timeout: timeout))
        ) { ($0.status, $0.errorMessage ?? String(buffer: $0.body)) }
    }

    /// The request's own timeout with no policy: refused while the only instance is held, served once it is free.
    @Test func aRequestTimeoutRefusesItWhileTheInstanceIsBusy() async throws {
        let repository = try TestServer.repository(instances: 1, queueLimit: 4)
        let pool = try #require(repository.models["add"]).pool
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        try await TestServer.withApp(repository: repository) { client in
            let (status, message) = try await Self.infer(client, timeout: "20000")
            #expect(status == .serviceUnavailable)
            #expect(message == "model 'add' is busy: no instance was free within the request's timeout (20000 µs)")
            #expect(pool.waiting == 0)
            let (negative, refusal) = try await Self.infer(client, timeout: "-1")
            #expect(negative == .badRequest && refusal == "parameters.timeout is -1: expected the microseconds the request may wait, 0 or more")
            // A priority is read (and ignored by a model without priority levels); a negative one is refused.
            let (timed, _) = try await Self.infer(client, timeout: #"20000, "priority": 1"#)
            #expect(timed == .serviceUnavailable)
            let (low, lowRefusal) = try await Self.infer(client, timeout: #"20000, "priority": -2"#)
            #expect(
                low == .badRequest && lowRefusal == "parameters.priority is -2: expected a priority level, 1 the highest (0: the model's default)")
            release.signal()
            _ = try await holder.value
            let (ok, _) = try await Self.infer(client, timeout: "60000000")
            #expect(ok == .ok)
            // 0 is no timeout, as in Triton.
            #expect(try await Self.infer(client, timeout: "0").0 == .ok)
            try await client.execute(uri: "/v2", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""schedule_policy""#))
            }
        }
    }

    /// The server's `--queue-timeout-us` (RepositoryOptions.queueTimeout): every request's
    /// timeout on a model without a queue policy of its own; a request's shorter one counts.
    @Test func theServersQueueTimeoutIsTheDefault() async throws {
        let folder = try TestServer.repositoryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let repository = try ModelRepository.load(
            .repository(path: folder), options: RepositoryOptions(instances: 1, queueLimit: 4, queueTimeout: 25_000), logger: TestServer.logger)
        let pool = try #require(repository.models["add"]).pool
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        try await TestServer.withApp(repository: repository) { client in
            for (timeout, expected) in [(nil, 25000), ("5000", 5000), ("90000000", 25000)] {
                let (status, message) = try await Self.infer(client, timeout: timeout)
                #expect(
                    status == .serviceUnavailable
                        && message == "model 'add' is busy: no instance was free within the request's timeout (\(expected) µs)")
            }
            release.signal()
            _ = try await holder.value
            #expect(try await Self.infer(client, timeout: nil).0 == .ok)
        }
    }

    /// A model's default_queue_policy: its default timeout for every request (here while the
    /// batcher waits out a long queue delay), a request's shorter one when the policy allows it.
    @Test func aModelsQueuePolicySetsTheDefault() async throws {
        try await withTemporaryDirectory(prefix: "ledge-queue-policy") { folder in
            for (name, allow) in [("strict", false), ("open", true)] {
                try Fixtures.makeModel(
                    folder, name,
                    config: """
                        max_batch_size: 8
                        dynamic_batching {
                          max_queue_delay_microseconds: 60000000
                          default_queue_policy { default_timeout_microseconds: 30000 allow_timeout_override: \(allow) }
                        }
                        """)
            }
            let repository = try ModelRepository.load(
                .repository(path: folder), options: RepositoryOptions(instances: 1), logger: TestServer.logger)
            try await TestServer.withApp(repository: repository) { client in
                for (model, timeout, expected) in [
                    ("strict", nil, 30000), ("strict", "5000", 30000), ("open", nil, 30000), ("open", "5000", 5000), ("open", "90000000", 30000),
                ] {
                    let (status, message) = try await Self.infer(client, model, timeout: timeout)
                    #expect(status == .serviceUnavailable, "\(model) \(timeout ?? "-")")
                    #expect(message == "model '\(model)' is busy: no instance was free within the request's timeout (\(expected) µs)")
                }
                try await client.execute(uri: "/v2/models/open/config", method: .get) { response in
                    #expect(
                        String(buffer: response.body).contains(
                            #""default_queue_policy":{"allow_timeout_override":true,"default_timeout_microseconds":30000,"max_queue_size":0,"timeout_action":"REJECT"}"#
                        ))
                }
            }
        }
    }
}
