internal import GRPCCore
internal import LedgeCore
internal import LedgeServing
internal import SwiftProtobuf

/// Triton's shared-memory extension over gRPC, over the same registry as the HTTP routes.
extension InferenceService {
    private static let endpoint = AccessPolicy.Endpoint.api(.sharedMemory, reach: .server)

    func systemSharedMemoryStatus(
        request: ServerRequest<Inference_SystemSharedMemoryStatusRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_SystemSharedMemoryStatusResponse> {
        try await calls.unary(request, context, endpoint: Self.endpoint) { message, _ in
            var response = Inference_SystemSharedMemoryStatusResponse()
            for region in try repository.sharedMemory.status(name: message.name) {
                response.regions[region.name] = .with {
                    $0.name = region.name
                    $0.key = region.key
                    $0.offset = UInt64(region.offset)
                    $0.byteSize = UInt64(region.byteSize)
                }
            }
            return response
        }
    }

    func systemSharedMemoryRegister(
        request: ServerRequest<Inference_SystemSharedMemoryRegisterRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_SystemSharedMemoryRegisterResponse> {
        try await calls.unary(request, context, endpoint: Self.endpoint) { message, _ in
            try repository.sharedMemory.register(
                name: message.name, key: message.key, offset: Int(exactly: message.offset) ?? .max,
                byteSize: Int(exactly: message.byteSize) ?? .max)
            return Inference_SystemSharedMemoryRegisterResponse()
        }
    }

    func systemSharedMemoryUnregister(
        request: ServerRequest<Inference_SystemSharedMemoryUnregisterRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_SystemSharedMemoryUnregisterResponse> {
        try await calls.unary(request, context, endpoint: Self.endpoint) { message, _ in
            try repository.sharedMemory.unregister(name: message.name)
            return Inference_SystemSharedMemoryUnregisterResponse()
        }
    }

    func cudaSharedMemoryStatus(
        request: ServerRequest<Inference_CudaSharedMemoryStatusRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_CudaSharedMemoryStatusResponse> {
        try await calls.unary(request, context, endpoint: Self.endpoint) { _, _ in Inference_CudaSharedMemoryStatusResponse() }
    }

    func cudaSharedMemoryRegister(
        request: ServerRequest<Inference_CudaSharedMemoryRegisterRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_CudaSharedMemoryRegisterResponse> {
        try await calls.unary(request, context, endpoint: Self.endpoint) { _, _ in
            throw LedgeError.invalidInput(SharedMemoryRegistry.noCUDA)
        }
    }

    func cudaSharedMemoryUnregister(
        request: ServerRequest<Inference_CudaSharedMemoryUnregisterRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_CudaSharedMemoryUnregisterResponse> {
        try await calls.unary(request, context, endpoint: Self.endpoint) { _, _ in Inference_CudaSharedMemoryUnregisterResponse() }
    }
}
