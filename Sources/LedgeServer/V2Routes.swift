#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import Hummingbird
internal import LedgeEngine
internal import LedgeCore
internal import LedgeServing
internal import Logging

/// The Open Inference Protocol (KServe V2) routes and the image endpoint.
struct V2Routes: Sendable {
    let repository: ModelRepository
    let configuration: ServerConfiguration

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        router.on("/v2/health/live", method: .get, scope: .health, reach: .server, recordingIn: table) { _, _ in
            try JSONResponse.make(LiveResponse(live: true))
        }
        router.on("/v2/health/ready", method: .get, scope: .health, reach: .server, recordingIn: table) { _, _ in
            let ready = repository.isReady
            return try JSONResponse.make(ReadyResponse(ready: ready), status: ready ? .ok : .serviceUnavailable)
        }
        router.on("/v2", method: .get, scope: .metadata, reach: .server, recordingIn: table) { _, _ in
            try JSONResponse.make(
                ServerMetadata(
                    name: "ledge", version: configuration.version,
                    extensions: ProtocolExtensions.names(sharedMemory: repository.sharedMemory.allowed)))
        }
        router.on("/v2/models/{model}", method: .get, scope: .metadata, recordingIn: table) { _, context in
            let model = try model(context)
            return try JSONResponse.make(ModelMetadataResponse(model, versions: repository.versions(of: model.name).map(\.version)))
        }
        router.on("/v2/models/{model}/versions/{version}", method: .get, scope: .metadata, recordingIn: table) { _, context in
            try JSONResponse.make(ModelMetadataResponse(try model(context)))
        }
        router.on("/v2/models/{model}/config", method: .get, scope: .metadata, recordingIn: table) { _, context in
            JSONResponse.make(data: Data(try model(context).config.json().utf8))
        }
        router.on("/v2/models/{model}/versions/{version}/config", method: .get, scope: .metadata, recordingIn: table) { _, context in
            JSONResponse.make(data: Data(try model(context).config.json().utf8))
        }
        router.on("/v2/models/{model}/ready", method: .get, scope: .health, recordingIn: table) { _, context in
            _ = try model(context)
            return try JSONResponse.make(ReadyResponse(ready: true))
        }
        router.on("/v2/models/{model}/versions/{version}/ready", method: .get, scope: .health, recordingIn: table) { _, context in
            _ = try model(context)
            return try JSONResponse.make(ReadyResponse(ready: true))
        }
        // Triton's logging extension: the level every handler reads, changed while serving.
        router.on("/v2/logging", method: .get, scope: .logging, reach: .server, recordingIn: table) { _, _ in
            JSONResponse.make(data: LogSettingsCoding.body(try logSettings()))
        }
        router.on("/v2/logging", method: .post, scope: .logging, reach: .server, recordingIn: table) { request, context in
            let settings = try logSettings()
            let level = try settings.update(try LogSettingsCoding.changes(try await body(request)))
            context.logger.log(level: max(.notice, level), "log level set to \(level) (POST /v2/logging)")  // shown at the new level too
            return JSONResponse.make(data: LogSettingsCoding.body(settings))
        }
        // Triton's statistics extension; `stats` is no model name here, as in Triton.
        router.on("/v2/models/stats", method: .get, scope: .statistics, recordingIn: table) { _, _ in
            try JSONResponse.make(StatisticsResponse(try repository.statistics(name: nil, version: nil)))
        }
        router.on("/v2/models/{model}/stats", method: .get, scope: .statistics, recordingIn: table) { _, context in
            try JSONResponse.make(StatisticsResponse(try repository.statistics(name: context.decodedParameter("model") ?? "", version: nil)))
        }
        router.on("/v2/models/{model}/versions/{version}/stats", method: .get, scope: .statistics, recordingIn: table) { _, context in
            let name = context.decodedParameter("model") ?? ""
            return try JSONResponse.make(StatisticsResponse(try repository.statistics(name: name, version: context.parameters.get("version"))))
        }
        router.on("/v2/models/{model}/infer", method: .post, scope: .inference, recordingIn: table) { request, context in
            try await infer(request, context)
        }
        router.on("/v2/models/{model}/versions/{version}/infer", method: .post, scope: .inference, recordingIn: table) { request, context in
            try await infer(request, context)
        }
        router.on("/v2/models/{model}/classify", method: .post, scope: .inference, recordingIn: table) { request, context in
            try await classify(request, context)
        }
        router.on("/v2/models/{model}/versions/{version}/classify", method: .post, scope: .inference, recordingIn: table) { request, context in
            try await classify(request, context)
        }
    }

    /// The model (and version) named by the path, else 400 for a bad name or 404.
    private func model(_ context: some RequestContext) throws -> ServedModel {
        try repository.model(named: context.decodedParameter("model") ?? "", version: context.parameters.get("version"))
    }

    /// The server's log settings, else 501 (a server built without them).
    private func logSettings() throws -> LogSettings {
        guard let settings = configuration.logSettings else { throw ServerError(.notImplemented, "log settings are not served here") }
        return settings
    }

    /// The body, at most `--max-body-size` bytes, else 413.
    private func body(_ request: Request) async throws -> Data { try await request.collectBody(limit: configuration.maxBodySize) }

    private func infer(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let model = try model(context)
        // Any content type, as Triton reads the body: `curl -d` (a form's type) is how its examples send one.
        let jsonLength = try V2InferenceCoding.jsonLength(header: request.headers[HTTPField.Name(V2InferenceCoding.headerLengthField)!])
        let trace = repository.tracing.start(model: model.name, version: model.version, traceparent: request.headers[Self.traceparent])
        return try await Self.traced(trace) {
            try await infer(request, model: model, jsonLength: jsonLength, trace: trace)
        }
    }

    private func infer(_ request: Request, model: ServedModel, jsonLength: Int?, trace: RequestTrace?) async throws -> Response {
        let inference = try V2InferenceCoding.request(body: try await body(request), jsonLength: jsonLength)
        trace?.stamp("HTTP_RECV_END")
        trace?.identify(inference.id)
        let (body, headerLength) = V2InferenceCoding.body(for: try await repository.infer(inference, on: model, trace: trace))
        // Accept-Encoding: gzip or deflate compresses the body; Inference-Header-Content-Length still counts the plain JSON.
        let coding = ResponseContentCoding(accepting: request.headers[.acceptEncoding])
        var response = JSONResponse.make(
            data: try coding?.encode(body) ?? body, contentType: headerLength == nil ? "application/json" : "application/octet-stream")
        if let headerLength { response.headers[HTTPField.Name(V2InferenceCoding.headerLengthField)!] = String(headerLength) }
        if let coding { response.headers[.contentEncoding] = coding.name }
        response.headers[.vary] = "Accept-Encoding"
        guard let trace else { return response }
        return Self.sending(response, trace: trace)
    }

    private func classify(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let start = ContinuousClock.now
        let model = try model(context)
        let trace = repository.tracing.start(model: model.name, version: model.version, traceparent: request.headers[Self.traceparent])
        let answer = try await Self.traced(trace) { try await classify(request, model: model, start: start, trace: trace) }
        guard let trace else { return answer }
        return Self.sending(answer, trace: trace)
    }

    private func classify(_ request: Request, model: ServedModel, start: ContinuousClock.Instant, trace: RequestTrace?) async throws -> Response {
        let type = request.mediaType
        guard type == "image/jpeg" || type == "image/png" || type == "application/octet-stream" || type == "multipart/form-data" else {
            throw ServerError(
                .unsupportedMediaType,
                "unsupported content type '\(type ?? "")' for classify: expected image/jpeg, image/png or multipart/form-data")
        }
        var topK = 5
        if let text = request.uri.queryParameters["top_k"] {
            guard let value = Int(text), value >= 1 else {
                throw ServerError.badRequest("query parameter top_k is '\(text)': expected an integer of at least 1")
            }
            topK = value
        }
        let upload =
            type == "multipart/form-data"
            ? try ImageUpload.fromMultipart(try await body(request), contentType: request.headers[.contentType] ?? "")
            : ImageUpload(data: try await body(request), name: "request body")
        trace?.stamp("HTTP_RECV_END")
        let result = try await repository.classify(upload, topK: topK, on: model, trace: trace)
        let response = ClassifyResponse(
            model_name: model.name,
            top: result.top,
            timing_us: ClassificationTiming(result, total: ContinuousClock.now - start))
        return try JSONResponse.make(response)
    }

    /// W3C Trace Context's header: a traced request joins the caller's trace (OpenTelemetry mode).
    static let traceparent = HTTPField.Name("traceparent")!

    /// `body`'s value, `trace` (when there is one) stamped at the receive start and finished if `body` fails.
    static func traced<T>(_ trace: RequestTrace?, _ body: () async throws -> T) async throws -> T {
        trace?.stamp("HTTP_RECV_START")
        do {
            return try await body()
        } catch {
            trace?.finish()
            throw error
        }
    }

    /// `response`, stamped as sent from here; its body once written stamps the send end and finishes `trace`.
    static func sending(_ response: Response, trace: RequestTrace) -> Response {
        trace.stamp("HTTP_SEND_START")
        var response = response
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { trace.finish() }
            try await body.write(writer)
            trace.stamp("HTTP_SEND_END")
        }
        return response
    }
}
