internal import GRPCCore
internal import GRPCNIOTransportHTTP2Posix
internal import LedgeCore
internal import LedgeServing
internal import Logging
internal import Metrics
internal import X509

/// What every call goes through, as over HTTP: the bearer token checked against the
/// ``AccessPolicy`` (UNAUTHENTICATED otherwise), an id (the client's sane `x-request-id`
/// metadata, else a generated one) in the logger (`request_id`) and the response metadata,
/// one access line at info level, and for inference calls the model's request metrics
/// under `protocol="grpc"`.
struct CallObservation: Sendable {
    let access: AccessPolicy?
    let metrics: ServerMetrics
    let logger: Logger

    /// The id of a call: the client's when it is 1–128 of `A-Z a-z 0-9 . _ -`, else a new one.
    static func requestID(_ metadata: Metadata) -> String {
        RequestIDs.sane(metadata[stringValues: "x-request-id"].first(where: { _ in true }))
            ?? String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// Throws UNAUTHENTICATED when the policy refuses the call's `authorization` metadata, and
    /// PERMISSION_DENIED when its token is limited to other scopes.
    /// `naming`: the model the call names, for a token limited to some.
    func authorize(_ metadata: Metadata, endpoint: AccessPolicy.Endpoint, naming: String? = nil) throws {
        guard let access else { return }
        let authorization = metadata[stringValues: "authorization"].first(where: { _ in true })
        if let denial = access.check(authorization: authorization, endpoint: endpoint, model: naming) {
            throw RPCError(code: denial.forbidden ? .permissionDenied : .unauthenticated, message: denial.message)
        }
    }

    /// Runs one unary call: authorization, the id, `body` with a logger that carries it,
    /// errors as statuses, the access line; inference calls (with `model`) are counted.
    func unary<Input: Sendable, Output: Sendable>(
        _ request: ServerRequest<Input>, _ context: ServerContext, endpoint: AccessPolicy.Endpoint, naming: String? = nil,
        model: (@Sendable (Input) -> (name: String, version: String?))? = nil,
        _ body: (Input, Logger) async throws -> Output
    ) async throws -> ServerResponse<Output> {
        let id = Self.requestID(request.metadata)
        var logger = self.logger
        logger[metadataKey: "request_id"] = .string(id)
        let named = model?(request.message)
        let start = ContinuousClock.now
        let counted = named.flatMap { metrics.model($0.name, version: $0.version) }
        counted?.inFlight.increment()
        defer { counted?.inFlight.decrement() }
        do {
            try authorize(request.metadata, endpoint: endpoint, naming: naming)
            let output = try await body(request.message, logger)
            finish(context, logger: logger, model: named?.name, counted: counted, code: nil, start: start)
            return ServerResponse(message: output, metadata: ["x-request-id": .string(id)])
        } catch {
            let failure = GRPCStatus.error(error)
            finish(context, logger: logger, model: named?.name, counted: counted, code: failure.code, start: start)
            if failure.code == .internalError { logger.error("\(context.descriptor.method): \(failure.message)") }
            var metadata = failure.metadata
            metadata.addString(id, forKey: "x-request-id")
            throw RPCError(code: failure.code, message: failure.message, metadata: metadata)
        }
    }

    /// The access line (and metrics) of one finished call, or of one request of a stream.
    func finish(
        _ context: ServerContext, logger: Logger, model: String?, counted: ModelMetrics?, code: RPCError.Code?,
        start: ContinuousClock.Instant
    ) {
        let elapsed = ContinuousClock.now - start
        if let counted {
            let outcome: RequestOutcome
            if let code {
                let kind = GRPCStatus.outcome(code)
                outcome = kind.busy ? .busy : kind.server ? .serverFailure : .clientFailure
            } else {
                outcome = .success
            }
            counted.grpc.count(outcome, duration: elapsed)
        }
        guard logger.logLevel <= .info else { return }  // no line: build none (the metadata dictionary)
        var metadata: Logger.Metadata = [
            "protocol": "grpc",
            "method": .string(context.descriptor.method),
            "status": .string(code.map { String(describing: $0) } ?? "ok"),
            "duration_ms": .string(elapsed.millisecondsText),
        ]
        if let model { metadata["model"] = .string(model) }
        metadata["client"] = .string(Self.address(peer: context.remotePeer))
        // Mutual TLS: the client certificate's subject, as the HTTP access lines give it.
        if let subject = (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate?.subject {
            metadata["client_cert"] = .string(subject.description)
        }
        logger.info("request", metadata: metadata)
    }

    /// grpc-swift's peer description (`ipv4:127.0.0.1:51234`, `ipv6:[::1]:51234`, `unix:PATH`) as
    /// the HTTP access lines write an address (`127.0.0.1:51234`).
    static func address(peer: String) -> String {
        for prefix in ["ipv4:", "ipv6:", "unix:"] where peer.hasPrefix(prefix) { return String(peer.dropFirst(prefix.count)) }
        return peer
    }
}
