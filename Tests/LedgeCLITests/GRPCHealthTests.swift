import Foundation
import LedgeTesting
import Testing

/// gRPC's health checking protocol (`grpc.health.v1.Health`, what Kubernetes' gRPC probes ask) of
/// the real `ledge serve`, with grpcio's own health client (scripts/check_grpc_health.py).
@Suite(.ownThread) struct GRPCHealthTests {
    @Test func grpcioHealthClientChecksAndWatches() async throws {
        let result = try await ProcessRunner.check(
            "check_grpc_health.py", venv: "venv-grpc", ["--ledge", Fixtures.ledgeExecutable, "--model", Fixtures.model("add.onnx")],
            timeLimit: 120)
        #expect(result.passed, "check_grpc_health.py failed: \(result.stderr)")
        for line in [
            "ok: Check: '' and inference.GRPCInferenceService SERVING, no.such.Service NOT_FOUND (unknown service 'no.such.Service')",
            "ok: --auth-token with --auth-health closed: UNAUTHENTICATED without the token, SERVING with it; open by default",
            "all gRPC health checks passed",
        ] {
            #expect(result.lines.contains(line), "missing line: \(line)\n\(result.stdout)")
        }
        #expect(
            result.lines.contains {
                $0.hasPrefix("ok: Watch: SERVING at once, NOT_SERVING and the stream's end at SIGTERM (")
                    && $0.hasSuffix(" s), exit 0; an unknown service SERVICE_UNKNOWN")
            }, "\(result.stdout)")
    }
}
