#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCCore
@testable import LedgeGRPC
import LedgeServing
import LedgeTesting
import Logging
import SwiftProtobuf
import Testing

/// Triton's shared-memory extension over gRPC (in-process transport): registering, status,
/// an input read from a region beside one sent as raw contents (whose entries then count only
/// the inputs not in shared memory), the output written to a region, and the status codes.
@Suite(.ownThread) struct SharedMemoryServiceTests {
    static func repository(allowed: Bool = true) throws -> ModelRepository {
        try ModelRepository.load(
            .file(path: Fixtures.model("add.onnx"), name: "add"),
            options: RepositoryOptions(instances: 1, allowClientSharedMemory: allowed), logger: Logger(label: "test"))
    }

    static func parameters(_ region: String, offset: Int64 = 0, size: Int64 = 16) -> [String: Inference_InferParameter] {
        var parameters: [String: Inference_InferParameter] = [
            "shared_memory_region": .with { $0.stringParam = region }, "shared_memory_byte_size": .with { $0.int64Param = size },
        ]
        if offset != 0 { parameters["shared_memory_offset"] = .with { $0.int64Param = offset } }
        return parameters
    }

    /// `add` with `a` in region `io` and `b` sent (`[1, 1, 1, 1]`); `sum` to `io` at offset 32 when `sumInRegion`.
    static func request(sumInRegion: Bool) -> Inference_ModelInferRequest {
        var request = InProcessServer.addRequest([0, 0, 0, 0], [1, 1, 1, 1])
        request.inputs[0].parameters = parameters("io")
        request.rawInputContents.removeFirst()
        if sumInRegion {
            var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
            output.name = "sum"
            output.parameters = parameters("io", offset: 32)
            request.outputs = [output]
        }
        return request
    }

    @Test func registerInferAndUnregister() async throws {
        let object = try SharedMemoryObject(size: 64)
        object.write([1, 2, 3, 4], at: 0)
        try await InProcessServer.with(try Self.repository()) { client in
            _ = try await client.systemSharedMemoryRegister(
                .with {
                    $0.name = "io"; $0.key = object.key; $0.byteSize = 64
                })
            let status = try await client.systemSharedMemoryStatus(Inference_SystemSharedMemoryStatusRequest())
            #expect(status.regions.keys.sorted() == ["io"])
            #expect(status.regions["io"]?.key == object.key && status.regions["io"]?.byteSize == 64)
            let metadata = try await client.serverMetadata(Inference_ServerMetadataRequest())
            #expect(metadata.extensions.last == "system_shared_memory")

            // The output in the response: the input from the region added to the one sent.
            #expect(InProcessServer.floats(try await client.modelInfer(Self.request(sumInRegion: false))) == [2, 3, 4, 5])
            // The output in the region: described, with an empty raw entry in its place.
            let response = try await client.modelInfer(Self.request(sumInRegion: true))
            #expect(response.outputs.map(\.name) == ["sum"] && response.outputs[0].shape == [1, 4])
            #expect(response.rawOutputContents == [Data()])
            #expect(response.outputs[0].parameters["shared_memory_region"]?.stringParam == "io")
            #expect(response.outputs[0].parameters["shared_memory_byte_size"]?.int64Param == 16)
            #expect(object.floats(4, at: 32) == [2, 3, 4, 5])

            _ = try await client.systemSharedMemoryUnregister(.with { $0.name = "io" })
            #expect(try await client.systemSharedMemoryStatus(Inference_SystemSharedMemoryStatusRequest()).regions.isEmpty)
        }
    }

    @Test func refusalsAreStatusCodesWithTheHTTPTexts() async throws {
        let object = try SharedMemoryObject(size: 64)
        try await InProcessServer.with(try Self.repository()) { client in
            _ = try await client.systemSharedMemoryRegister(
                .with {
                    $0.name = "io"; $0.key = object.key; $0.byteSize = 64
                })
            var rawCount = Self.request(sumInRegion: false)
            rawCount.rawInputContents.append(Data(count: 16))
            var both = Self.request(sumInRegion: false)
            both.rawInputContents = []
            both.inputs[0].contents.fp32Contents = [1, 2, 3, 4]
            both.inputs[1].contents.fp32Contents = [1, 2, 3, 4]
            var wrongType = Self.request(sumInRegion: false)
            wrongType.inputs[0].parameters["shared_memory_byte_size"] = .with { $0.stringParam = "16" }
            var unknown = Self.request(sumInRegion: false)
            unknown.inputs[0].parameters = Self.parameters("gone")
            for (request, message) in [
                (rawCount, "raw_input_contents has 2 entries but the request has 1 inputs not in shared memory: expected one entry for each"),
                (both, "input 'a' has both contents.fp32_contents and parameters.shared_memory_region: expected one"),
                (wrongType, "input 'a': parameters.shared_memory_byte_size is not an integer: expected int64_param"),
                (unknown, "input 'a': shared memory region 'gone' is not registered"),
            ] {
                let error = await #expect(throws: RPCError.self) { try await client.modelInfer(request) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message == message)
            }
            let missing = await #expect(throws: RPCError.self) {
                try await client.systemSharedMemoryStatus(.with { $0.name = "gone" })
            }
            #expect(missing?.code == .notFound)
            #expect(missing?.message == "shared memory region 'gone' is not registered")
            let cuda = await #expect(throws: RPCError.self) {
                try await client.cudaSharedMemoryRegister(
                    .with {
                        $0.name = "g"; $0.byteSize = 4
                    })
            }
            #expect(cuda?.code == .invalidArgument)
            #expect(try await client.cudaSharedMemoryStatus(Inference_CudaSharedMemoryStatusRequest()).regions.isEmpty)
        }
    }

    @Test func offByDefaultIsFailedPrecondition() async throws {
        let object = try SharedMemoryObject(size: 64)
        try await InProcessServer.with(try Self.repository(allowed: false)) { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.systemSharedMemoryRegister(
                    .with {
                        $0.name = "io"; $0.key = object.key; $0.byteSize = 64
                    })
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message == "client shared memory is off on this server: start ledge serve with --allow-client-shm to use it")
            let infer = await #expect(throws: RPCError.self) { try await client.modelInfer(Self.request(sumInRegion: false)) }
            #expect(infer?.code == .failedPrecondition)
        }
    }
}
