import Foundation
import LedgeTesting
import Testing

/// gRPC server reflection (what grpcurl, Postman and evans ask) of the real `ledge serve`, with
/// grpcio's own reflection client (scripts/check_grpc_reflection.py).
@Suite(.ownThread) struct GRPCReflectionTests {
    @Test func grpcioReflectionClientDescribesAndCalls() async throws {
        let result = try await ProcessRunner.check(
            "check_grpc_reflection.py", venv: "venv-grpc", ["--ledge", Fixtures.ledgeExecutable, "--model", Fixtures.model("add.onnx")],
            timeLimit: 120)
        #expect(result.passed, "check_grpc_reflection.py failed: \(result.stderr)")
        for line in [
            "ok: list: grpc.health.v1.Health, grpc.reflection.v1.ServerReflection, grpc.reflection.v1alpha.ServerReflection, inference.GRPCInferenceService; "
                + "inference.GRPCInferenceService's 20 methods and the fields of 57 messages as tritonclient's grpc_service.proto and model_config.proto have them; "
                + "grpc.health.v1.Health (Check, Watch)",
            "ok: calls from the reflected descriptors alone: ServerMetadata (name ledge), ModelInfer of add: [1.5, 2.25, 3.125, 4.0625]",
            "ok: grpc.reflection.v1 on one stream: 5 answers in order, each echoing its request; no.such.Message NOT_FOUND "
                + "(unknown symbol 'no.such.Message'), the stream still answering; health.proto by file name",
            "ok: --auth-token: reflection UNAUTHENTICATED without the token, the services listed with it",
            "ok: --no-grpc-reflection: v1 and v1alpha UNIMPLEMENTED, the inference service still answering",
            "all gRPC reflection checks passed",
        ] {
            #expect(result.lines.contains(line), "missing line: \(line)\n\(result.stdout)")
        }
    }
}
