#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCCore
import GRPCInProcessTransport
@testable import LedgeGRPC
import LedgeServing
import LedgeTesting
import Logging

/// The gRPC service over grpc-swift's in-process transport: the same service and
/// call handling as `ledge serve --grpc-port`, without a socket.
enum InProcessServer {
    typealias Client = Inference_GRPCInferenceService.Client<InProcessTransport.Client>

    /// `add.onnx` served as `add` (one instance, `queueLimit` requests may wait).
    static func repository(queueLimit: Int = 64, trace: TraceSettings = TraceSettings()) throws -> ModelRepository {
        try ModelRepository.load(
            .file(path: Fixtures.model("add.onnx"), name: "add"), options: RepositoryOptions(instances: 1, queueLimit: queueLimit, trace: trace),
            logger: Logger(label: "test"))
    }

    /// Runs `body` with a client of a server over `repository`, then shuts the server down.
    static func with<Result: Sendable>(
        _ repository: ModelRepository, access: AccessPolicy? = nil, _ body: @Sendable (Client) async throws -> Result
    ) async throws -> Result {
        let transport = InProcessTransport()
        let server = GRPCInferenceServer.serve(on: transport.server, repository: repository, access: access, logger: Logger(label: "test"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            return try await withGRPCClient(transport: transport.client) { client in try await body(Client(wrapping: client)) }
        }
    }

    /// A ModelInfer request for `add` with `a` and `b` as raw contents (`[1, count]` FP32).
    static func addRequest(_ a: [Float], _ b: [Float], id: String = "") -> Inference_ModelInferRequest {
        var request = Inference_ModelInferRequest()
        request.modelName = "add"
        request.id = id
        for (name, values) in [("a", a), ("b", b)] {
            var input = Inference_ModelInferRequest.InferInputTensor()
            input.name = name
            input.datatype = "FP32"
            input.shape = [1, Int64(values.count)]
            request.inputs.append(input)
            request.rawInputContents.append(values.withUnsafeBytes { Data($0) })
        }
        return request
    }

    /// The FP32 values of raw output `index` of `response`.
    static func floats(_ response: Inference_ModelInferResponse, _ index: Int = 0) -> [Float] {
        let data = response.rawOutputContents[index]
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
