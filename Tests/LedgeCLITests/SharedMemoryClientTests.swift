import Foundation
import LedgeTesting
import Testing

/// Triton's shared-memory extension of the real `ledge serve --allow-client-shm`, used by the
/// real Triton clients (`tritonclient[http]` and `tritonclient[grpc]`, each in its venv) with
/// their own shared memory utilities: scripts/check_shared_memory.py.
@Suite(.ownThread) struct SharedMemoryClientTests {
    @Test func tritonClientsPassTensorsThroughSharedMemory() async throws {
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("mobilenet_gen.onnx"), "-m", Fixtures.model("add.onnx"), "--no-probe", "--allow-client-shm",
        ])
        try await server.runClientCheck("check_shared_memory.py", ["--fixtures", Fixtures.home + "/fixtures"], timeLimit: 300) {
            protocolName, lines in
            let unknown = protocolName == "http" ? "400" : "StatusCode.INVALID_ARGUMENT"
            for line in [
                "ok: \(protocolName): server metadata lists system_shared_memory",
                "ok: \(protocolName): registered input (1204288 bytes) and output (8000 bytes); status lists both",
                "ok: \(protocolName): infer(add) a in shared memory, b sent, sum written at offset 32: [[11.0, 22.0, 33.0, 44.0]]",
                "ok: \(protocolName): unknown region: InferenceServerException \(unknown) \"input 'a': shared memory region 'no_such_region' is not registered\"",
                "ok: \(protocolName): unregistered one region, then all: status empty",
                "all \(protocolName) shared memory checks passed",
            ] {
                #expect(lines.contains(line), "missing line: \(line)\n\(lines.joined(separator: "\n"))")
            }
            for prefix in [
                "ok: \(protocolName): infer(mobilenet_gen) input and output in shared memory: FP32 [2, 1000], max abs difference ",
                "ok: \(protocolName): infer(mobilenet_gen) input in shared memory, output in the response: max abs difference ",
            ] {
                #expect(lines.contains { $0.hasPrefix(prefix) }, "missing line: \(prefix)…")
            }
        }
        try await server.terminate()
        #expect(server.exitedCleanly, "ledge serve did not exit 0 on SIGTERM; stderr: \(server.stderr)")
    }
}
