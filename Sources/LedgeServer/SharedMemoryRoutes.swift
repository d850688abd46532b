#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import Hummingbird
internal import LedgeCore
internal import LedgeServing

/// Triton's shared-memory extension over HTTP: clients register system shared memory
/// regions (`/v2/systemsharedmemory/…`), then name them in an input's or output's
/// parameters instead of sending the tensor. CUDA shared memory is answered as a CPU-only
/// Triton answers it: no regions, and registering one is refused.
struct SharedMemoryRoutes: Sendable {
    let registry: SharedMemoryRegistry
    let maxBodySize: Int

    /// `$system_shared_memory_register_request`.
    private struct Registration: Decodable {
        var key: String
        var offset: Int?
        var byte_size: Int
    }

    /// One entry of `$system_shared_memory_status_response`.
    private struct RegionStatus: Encodable {
        var name: String
        var key: String
        var offset: Int
        var byte_size: Int
    }

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        let system = "/v2/systemsharedmemory"
        router.on(system + "/status", method: .get, scope: .sharedMemory, reach: .server, recordingIn: table) { _, _ in
            try status(name: "")
        }
        router.on(system + "/region/{region}/status", method: .get, scope: .sharedMemory, reach: .server, recordingIn: table) {
            _, context in try status(name: context.decodedParameter("region") ?? "")
        }
        router.on(system + "/region/{region}/register", method: .post, scope: .sharedMemory, reach: .server, recordingIn: table) {
            request, context in
            let body = try await request.collectBody(limit: maxBodySize)
            let registration: Registration
            do {
                registration = try JSONDecoder().decode(Registration.self, from: body)
            } catch let error as DecodingError {
                if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                    throw LedgeError.invalidInput(#"malformed JSON in the register request: expected {"key": …, "offset": …, "byte_size": …}"#)
                }
                throw LedgeError.invalidInput("register request: " + RequestDecoding.message(for: error))
            }
            try registry.register(
                name: context.decodedParameter("region") ?? "", key: registration.key, offset: registration.offset ?? 0,
                byteSize: registration.byte_size)
            return Self.done
        }
        router.on(system + "/unregister", method: .post, scope: .sharedMemory, reach: .server, recordingIn: table) { _, _ in
            try registry.unregister(name: "")
            return Self.done
        }
        router.on(system + "/region/{region}/unregister", method: .post, scope: .sharedMemory, reach: .server, recordingIn: table) {
            _, context in
            let name = context.decodedParameter("region") ?? ""
            // An empty name would unregister every region: the path named one.
            if !name.isEmpty { try registry.unregister(name: name) }
            return Self.done
        }
        let cuda = "/v2/cudasharedmemory"
        for path in [cuda + "/status", cuda + "/region/{region}/status"] {
            router.on(path, method: .get, scope: .sharedMemory, reach: .server, recordingIn: table) { _, _ in
                JSONResponse.make(data: Data("[]".utf8))
            }
        }
        for path in [cuda + "/unregister", cuda + "/region/{region}/unregister"] {
            router.on(path, method: .post, scope: .sharedMemory, reach: .server, recordingIn: table) { _, _ in Self.done }
        }
        router.on(cuda + "/region/{region}/register", method: .post, scope: .sharedMemory, reach: .server, recordingIn: table) { _, _ in
            throw LedgeError.invalidInput(SharedMemoryRegistry.noCUDA)
        }
    }

    /// What a change answers: 200 with an empty body, as Triton answers it.
    private static var done: Response { Response(status: .ok, headers: [.contentLength: "0"]) }

    private func status(name: String) throws -> Response {
        try JSONResponse.make(
            registry.status(name: name).map { RegionStatus(name: $0.name, key: $0.key, offset: $0.offset, byte_size: $0.byteSize) })
    }
}
