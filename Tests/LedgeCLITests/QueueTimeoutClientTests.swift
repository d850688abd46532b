import Foundation
import LedgeTesting
import Testing

/// Triton's schedule-policy timeout of the real `ledge serve`, used by the real Triton clients
/// (`tritonclient[http]` and `tritonclient[grpc]`, each in its venv): `infer(..., timeout=µs)`
/// and a model's `default_queue_policy`, and its priority levels' own (scripts/check_queue_timeout.py).
@Suite(.ownThread) struct QueueTimeoutClientTests {
    @Test func tritonClientsGetTheQueueTimeoutsRefusal() async throws {
        try await withTemporaryDirectory(prefix: "ledge-queue-timeout") { folder in
            try Fixtures.makeModel(folder, "add")
            try Fixtures.makeModel(
                folder, "held",
                config: """
                    max_batch_size: 8
                    dynamic_batching {
                      max_queue_delay_microseconds: 60000000
                      default_queue_policy { default_timeout_microseconds: 30000 allow_timeout_override: true }
                      priority_levels: 2 default_priority_level: 2
                      priority_queue_policy { key: 1 value { default_timeout_microseconds: 10000 } }
                    }
                    """)
            try Fixtures.makeModel(
                folder, "late",
                config: "max_batch_size: 8\ndynamic_batching { default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 1 } }\n")
            let server = try await ServeProcess.start(["--model-repository", folder, "--no-probe"])
            try await server.runClientCheck("check_queue_timeout.py") { protocolName, lines in
                let busy = protocolName == "http" ? "503" : "StatusCode.UNAVAILABLE"
                let refusal = { (timeout: Int) in "model 'held' is busy: no instance was free within the request's timeout (\(timeout) µs)" }
                for line in [
                    "ok: \(protocolName): server metadata lists schedule_policy",
                    protocolName == "http"
                        ? #"ok: http: get_model_config(held): default_queue_policy {"allow_timeout_override": true, "default_timeout_microseconds": 30000, "max_queue_size": 0, "timeout_action": "REJECT"}; "#
                            + #"priorities {"default_priority_level": 2, "priority_levels": 2, "priority_queue_policy": {"1": {"allow_timeout_override": false, "#
                            + #""default_timeout_microseconds": 10000, "max_queue_size": 0, "timeout_action": "REJECT"}}}"#
                        : #"ok: grpc: get_model_config(held): default_queue_policy {"allow_timeout_override": true, "default_timeout_microseconds": "30000"}; "#
                            + #"priorities {"default_priority_level": "2", "priority_levels": "2", "priority_queue_policy": {"1": {"default_timeout_microseconds": "10000"}}}"#,
                    "ok: \(protocolName): infer(held): InferenceServerException \(busy) \"\(refusal(30000))\"",
                    "ok: \(protocolName): infer(held, timeout=20000): InferenceServerException \(busy) \"\(refusal(20000))\"",
                    "ok: \(protocolName): infer(held, timeout=90000000): InferenceServerException \(busy) \"\(refusal(30000))\"",
                    "ok: \(protocolName): infer(held, priority=1): InferenceServerException \(busy) \"\(refusal(10000))\"",
                    "ok: \(protocolName): infer(held, timeout=20000, priority=2): InferenceServerException \(busy) \"\(refusal(20000))\"",
                    "ok: \(protocolName): infer(held, priority=7): InferenceServerException \(busy) \"\(refusal(30000))\"",
                    "ok: \(protocolName): get_model_config(late): timeout_action DELAY; infer(late) past its 1 µs timeout: served, exactly a + b",
                    "ok: \(protocolName): infer(add, timeout=60000000): exactly a + b",
                    "all \(protocolName) queue timeout checks passed",
                ] {
                    #expect(lines.contains(line), "missing line: \(line)\n\(lines.joined(separator: "\n"))")
                }
            }
            try await server.terminate()
            #expect(server.exitedCleanly, "ledge serve did not exit 0 on SIGTERM; stderr: \(server.stderr)")
        }
    }
}
