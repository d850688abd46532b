#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import Hummingbird
internal import LedgeCore
internal import LedgeServing
internal import LedgeEngine
internal import Logging

/// Seldon Core's v1 protocol beside KServe V2, as Seldon's Python wrapper
/// answers it (`seldon_core/wrapper.py`): predictions at `/api/v1.0/predictions`,
/// `/api/v0.1/predictions` and `/predict` for the one served model, and at
/// `/seldon/{namespace}/{model}/api/v1.0/predictions` (what `SeldonClient` builds
/// for a gateway, the deployment name being the model name) or
/// `/seldon/{model}/…` for any; `/health/ping` and `/health/status`. The
/// message is a JSON body, the `json` field of a form (what
/// `SeldonClient.microservice` posts), the `json` query parameter, or a
/// multipart form whose fields are the message's keys (`binData` a file). See
/// ``SeldonCoding`` for the payloads and ``SeldonResponse`` for the answers; errors
/// are Seldon status objects.
struct SeldonRoutes: Sendable {
    let repository: ModelRepository
    let configuration: ServerConfiguration

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        let predict: @Sendable (Request, Context) async throws -> Response = { request, context in
            try await answer(context) {
                // Traced as V2 requests are (Triton's timestamps, tensors at level TENSORS).
                let model = try model(context)
                let trace = repository.tracing.start(model: model.name, version: model.version, traceparent: request.headers[V2Routes.traceparent])
                let response = try await V2Routes.traced(trace) { try await self.predict(request, model: model, trace: trace) }
                guard let trace else { return response }
                return V2Routes.sending(response, trace: trace)
            }
        }
        for path in ["/api/v1.0/predictions", "/api/v0.1/predictions", "/predict"] {
            router.on(path, method: .post, scope: .inference, recordingIn: table, use: predict)
        }
        router.on("/predict", method: .get, scope: .inference, recordingIn: table, use: predict)
        // The router needs one parameter name per position: {scope} is the namespace, or the model when none follows.
        for prefix in ["/seldon/{scope}/{model}", "/seldon/{scope}"] {
            for version in ["v1.0", "v0.1"] {
                router.on(
                    "\(prefix)/api/\(version)/predictions", method: .post, scope: .inference,
                    modelParameter: prefix.hasSuffix("{model}") ? "model" : "scope", recordingIn: table, use: predict)
            }
        }
        router.on("/health/ping", method: .get, scope: .health, reach: .server, recordingIn: table) { _, _ in
            JSONResponse.make(data: Data("pong".utf8), contentType: "text/plain; charset=utf-8")
        }
        for path in ["/health/status", "/api/v1.0/health/status"] {
            router.on(path, method: .get, scope: .health, reach: .server, recordingIn: table) { _, _ in
                // The wrapper's answer for a model without a health_status method.
                JSONResponse.make(data: Data(#"{"meta":{},"strData":"healthy"}"#.utf8))
            }
        }
    }

    /// `body`'s response, or the Seldon status answer for a request or model error.
    private func answer(_ context: some RequestContext, _ body: () async throws -> Response) async throws -> Response {
        let failure: ServerError
        do {
            return try await body()
        } catch let error as ServerError {
            failure = error
        } catch let error as LedgeError {
            failure = ServerError(error)
        }
        if failure.status.code >= 500 && failure.status != .serviceUnavailable {
            context.logger.error("Seldon prediction: \(failure.message)")
        }
        return SeldonResponse.status(failure)
    }

    /// The model the path names, else the only one served.
    private func model(_ context: some RequestContext) throws -> ServedModel {
        if let name = context.decodedParameter("model") ?? context.decodedParameter("scope") {
            return try repository.model(named: name)
        }
        let names = repository.names
        guard names.count == 1 else {
            throw ServerError.badRequest(
                "\(names.count) models are served (\(names.joined(separator: ", "))): name one with POST /seldon/{namespace}/{model}/api/v1.0/predictions"
            )
        }
        return try repository.model(named: names[0])
    }

    private func predict(_ request: Request, model: ServedModel, trace: RequestTrace?) async throws -> Response {
        let message = try SeldonCoding.decode(try await self.message(request))
        trace?.stamp("HTTP_RECV_END")
        let meta = try SeldonMeta(request: message.meta, model: model.name, server: configuration.version)
        let info = model.info
        switch message.payload {
        case .data(let input):
            for (role, specs) in [("inputs", info.inputs), ("outputs", info.outputs)] where specs.count != 1 {
                throw LedgeError.invalidInput(
                    "model '\(model.name)' has \(specs.count) \(role) (\(specs.map(\.name).joined(separator: ", "))): Seldon's 'data' carries one tensor, send 'jsonData' with one {\"ndarray\": …} per input name"
                )
            }
            let tensor = try SeldonCoding.tensor(input, spec: info.inputs[0], model: model.name)
            let output = try await repository.run([tensor], on: model, trace: trace)[0]
            let names = SeldonResponse.names(for: output, labels: info.metadata.labels)
            return JSONResponse.make(data: SeldonResponse.data(.init(tensor: output, form: input.form, names: names), meta: meta))
        case .binData(let bytes):
            let result = try await repository.classify(ImageUpload(data: bytes, name: "binData"), topK: try topK(request), on: model, trace: trace)
            return JSONResponse.make(data: SeldonResponse.classification(result.top, meta: meta))
        case .jsonData(let entries):
            if let unknown = entries.first(where: { entry in !info.inputs.contains { $0.name == entry.name } }) {
                throw LedgeError.invalidInput(
                    "field 'jsonData.\(unknown.name)' is not an input of model '\(model.name)': expected \(info.inputs.map { "'\($0.name)'" }.joined(separator: ", "))"
                )
            }
            let tensors = try info.inputs.map { spec in
                guard let entry = entries.first(where: { $0.name == spec.name }) else {
                    throw LedgeError.invalidInput("model '\(model.name)' expects input '\(spec.name)', missing from 'jsonData'")
                }
                return try SeldonCoding.tensor(entry.input, spec: spec, model: model.name)
            }
            let results = try await repository.run(tensors, on: model, trace: trace)
            let form: SeldonCoding.Form = entries.allSatisfy { $0.input.form == .tensor } ? .tensor : .ndarray
            let outputs = zip(info.outputs, results).map { spec, tensor in
                (
                    name: spec.name,
                    output: SeldonResponse.Output(tensor: tensor, form: form, names: SeldonResponse.names(for: tensor, labels: info.metadata.labels))
                )
            }
            return JSONResponse.make(data: SeldonResponse.jsonData(outputs, meta: meta))
        }
    }

    /// `top_k` of the query (default 5): how many labels a `binData` answer lists.
    private func topK(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["top_k"] else { return 5 }
        guard let value = Int(text), value >= 1 else {
            throw ServerError.badRequest("query parameter top_k is '\(text)': expected an integer of at least 1")
        }
        return value
    }

    /// The request's message as JSON, from where the wrapper looks for it, in its order: a
    /// multipart form, the `json` field of a form, the `json` query parameter, the body.
    private func message(_ request: Request) async throws -> JSONValue {
        let type = request.mediaType
        if type == "multipart/form-data" {
            return try SeldonForm.multipart(try await body(request), contentType: request.headers[.contentType] ?? "")
        }
        if type == "application/x-www-form-urlencoded", let text = try SeldonForm.field("json", in: try await body(request)) {
            return try SeldonForm.json(text, from: "form field 'json'")
        }
        if let query = request.uri.query, let text = try SeldonForm.field("json", in: Array(query.utf8)) {
            return try SeldonForm.json(text, from: "query parameter 'json'")
        }
        if type == "application/x-www-form-urlencoded" {
            throw ServerError.badRequest("the form has no field 'json': expected json=<the Seldon message as JSON>")
        }
        guard type == nil || type == "application/json" else {
            throw ServerError(
                .unsupportedMediaType,
                "unsupported content type '\(type ?? "")' for predictions: expected application/json, application/x-www-form-urlencoded or multipart/form-data"
            )
        }
        return try SeldonForm.json(Array(try await body(request)), from: "the request body")
    }

    /// The body, at most `--max-body-size` bytes, else 413.
    private func body(_ request: Request) async throws -> Data { try await request.collectBody(limit: configuration.maxBodySize) }
}
