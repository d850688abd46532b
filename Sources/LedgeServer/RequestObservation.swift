internal import LedgeCore
internal import LedgeServing
internal import HTTPTypes
internal import Hummingbird
internal import Logging
internal import Metrics

/// Request ids, access logs, per-model request metrics and `GET /metrics`.
enum Observability {
    /// The request id header, read from requests and echoed on responses.
    static let requestIDHeader = HTTPField.Name("X-Request-Id")!
    /// The media type of the Prometheus text exposition format.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Adds the observing middleware (outermost, so it sees every request). Call before any other middleware or route.
    static func install<Context: RequestContext>(on router: Router<Context>, repository: ModelRepository) {
        router.add(middleware: RequestObservingMiddleware(metrics: repository.metrics))
    }

    /// Adds `GET /metrics`.
    static func addMetricsRoute<Context: RequestContext>(on router: Router<Context>, repository: ModelRepository) {
        router.get("/metrics") { _, _ in
            let body = repository.metrics.exposition()
            var headers = HTTPFields()
            headers[.contentType] = metricsContentType
            headers[.contentLength] = String(body.count)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// The client's id when it is 1–128 characters of `A-Z a-z 0-9 . _ -`, else `nil`.
    static func saneRequestID(_ value: String?) -> String? { RequestIDs.sane(value) }
}

/// Gives every request an id (the client's sane `X-Request-Id`, else
/// Hummingbird's generated one) in the logger metadata (`request_id`) and the
/// response header, counts inference requests per model, and logs one access
/// line per request at info level.
struct RequestObservingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let id = Observability.saneRequestID(request.headers[Observability.requestIDHeader]) ?? context.id
        context.logger[metadataKey: "hb.request.id"] = .string(id)
        context.logger[metadataKey: "request_id"] = .string(id)
        let model = inferenceModel(request, context)
        model?.inFlight.increment()
        defer { model?.inFlight.decrement() }
        do {
            var response = try await next(request, context)
            response.headers[Observability.requestIDHeader] = id
            finish(request, context, model: model, status: response.status.code, start: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? ServerError.from(error).status.code
            finish(request, context, model: model, status: status, start: start)
            throw error
        }
    }

    /// The metrics of the model an inference request (`POST …/infer` or
    /// `…/classify`) names, when it is served.
    private func inferenceModel(_ request: Request, _ context: Context) -> ModelMetrics? {
        guard request.method == .post, let path = context.endpointPath,
            path.hasSuffix("/infer") || path.hasSuffix("/classify"),
            let raw = context.parameters.get("model")
        else { return nil }
        return metrics.model(raw.percentDecoded ?? raw, version: context.parameters.get("version"))
    }

    private func finish(_ request: Request, _ context: Context, model: ModelMetrics?, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        model?.http.count(RequestOutcome(httpStatus: status), duration: elapsed)
        guard context.logger.logLevel <= .info else { return }  // no line: build none (the metadata dictionary)
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(status),
            "duration_ms": .string(elapsed.millisecondsText),
        ]
        if let raw = context.parameters.get("model") { metadata["model"] = .string(raw.percentDecoded ?? raw) }
        if let peer = context as? any PeerDescribing {
            if let address = peer.peerAddress { metadata["client"] = .string(address.accessLogText) }
            if let subject = peer.peerSubject { metadata["client_cert"] = .string(subject) }
        }
        context.logger.info("request", metadata: metadata)
    }
}
