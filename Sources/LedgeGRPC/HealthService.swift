internal import GRPCCore
internal import LedgeCore
internal import LedgeServing
internal import ServiceLifecycle
internal import Synchronization

/// gRPC's health checking protocol, `grpc.health.v1.Health` — what Kubernetes' `grpc:` probes,
/// `grpc_health_probe`, Envoy and other load balancers ask (Triton serves it too). `Check` of the
/// server (`""`) or of `inference.GRPCInferenceService` answers SERVING when the server is ready
/// (a model is loaded: ServerReady's rule), else NOT_SERVING; another name is NOT_FOUND. `Watch`
/// sends the status at once, then each change (looked at every `pollInterval`), and NOT_SERVING
/// when the server shuts down, which ends the stream; an unknown name is SERVICE_UNKNOWN there,
/// as the protocol says. Both are health endpoints for `--auth-token` (open unless
/// `--auth-health closed`). The two messages (`HealthCheckRequest { string service = 1 }`,
/// `HealthCheckResponse { ServingStatus status = 1 }`) are read and written here in protobuf's
/// wire format; the tests use grpcio's own health client.
struct HealthService: RegistrableRPCService {
    enum Status: UInt64, Sendable {
        case serving = 1, notServing = 2, serviceUnknown = 3
    }

    static let check = MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Check")
    static let watch = MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Watch")
    /// The names a check may ask about: the whole server, and the inference service.
    static let services: Set<String> = ["", "inference.GRPCInferenceService"]

    let repository: ModelRepository
    let calls: CallObservation
    var pollInterval = Duration.milliseconds(500)

    /// The status of `service` now.
    func status(_ service: String) -> Status {
        guard Self.services.contains(service) else { return .serviceUnknown }
        return repository.isReady ? .serving : .notServing
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let service = self
        router.registerHandler(
            forMethod: Self.check, deserializer: HealthRequestCoder(), serializer: HealthResponseCoder(),
            handler: { request, context in
                let response = try await service.calls.unary(try await ServerRequest(stream: request), context, endpoint: .health) { name, _ in
                    let status = service.status(name)
                    guard status != .serviceUnknown else { throw RPCError(code: .notFound, message: "unknown service '\(name)'") }
                    return status
                }
                return StreamingServerResponse(single: response)
            })
        router.registerHandler(
            forMethod: Self.watch, deserializer: HealthRequestCoder(), serializer: HealthResponseCoder(),
            handler: { request, context in
                let single = try await ServerRequest(stream: request)
                try service.calls.authorize(single.metadata, endpoint: .health)
                return StreamingServerResponse { writer in
                    try await service.watch(single.message, writer: writer)
                    return [:]
                }
            })
    }

    /// Writes the status of `name` now and at each change until the server shuts down (then
    /// NOT_SERVING) or the client goes.
    private func watch(_ name: String, writer: RPCWriter<Status>) async throws {
        let stopping = Atomic(false)
        var last: Status?
        try await withGracefulShutdownHandler {
            while !stopping.load(ordering: .acquiring) {
                let now = status(name)
                if now != last {
                    try await writer.write(now)
                    last = now
                }
                try await Task.sleep(for: pollInterval)
            }
        } onGracefulShutdown: {
            stopping.store(true, ordering: .releasing)
        }
        if last != .notServing && last != .serviceUnknown { try await writer.write(.notServing) }
    }
}

/// `HealthCheckRequest { string service = 1; }`: the service's name (empty when absent).
private struct HealthRequestCoder: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> String {
        try serializedMessageBytes.withUnsafeBytes { bytes in
            var reader = WireReader(bytes: bytes, range: 0..<bytes.count)
            var name = ""
            while !reader.atEnd {
                guard let field = reader.next() else {
                    throw RPCError(code: .invalidArgument, message: "HealthCheckRequest: not a protobuf message")
                }
                if field.number == 1, case .bytes(let range) = field.value { name = String(decoding: bytes[range], as: UTF8.self) }
            }
            return name
        }
    }
}

/// `HealthCheckResponse { ServingStatus status = 1; }`.
private struct HealthResponseCoder: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: HealthService.Status) throws -> Bytes {
        Bytes([0x08, UInt8(message.rawValue)])
    }
}
