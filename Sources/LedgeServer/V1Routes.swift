#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Hummingbird
internal import LedgeCore
internal import LedgeServing

/// KServe's v1 protocol and TensorFlow Serving's REST API (KServe's default `protocolVersion`):
/// `GET /v1/models` (`{"models": [names]}`), `GET /v1/models/{m}[/versions/{v}]` (KServe's
/// `{"name": m, "ready": true}` with TensorFlow Serving's `model_version_status`),
/// `GET …/metadata` (TensorFlow Serving's signature map), `POST …:explain` (501: no explainer) and `POST /v1/models/{m}[/versions/{v}]:predict`
/// with `{"instances": […]}` answered `{"predictions": […]}` (``V1Coding``) or `{"inputs": …}`
/// answered `{"outputs": …}` (``V1Columns``). The items run through the same pool, batcher,
/// metrics and statistics as V2 infer requests; errors are `{"error": …}` with V2's statuses.
struct V1Routes: Sendable {
    let repository: ModelRepository
    let configuration: ServerConfiguration

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        router.on("/v1/models", method: .get, scope: .metadata, recordingIn: table) { _, _ in
            var json = SeldonJSON()
            json.raw(#"{"models":"#)
            json.array(repository.names) { $0.string($1) }
            json.raw("}")
            return JSONResponse.make(data: Data(json.bytes))
        }
        router.on("/v1/models/{model}", method: .get, scope: .health, recordingIn: table) { _, context in
            let model = try model(context)
            return JSONResponse.make(data: V1Metadata.status(model, versions: repository.versions(of: model.name)))
        }
        router.on("/v1/models/{model}/versions/{version}", method: .get, scope: .health, recordingIn: table) { _, context in
            let model = try model(context)
            return JSONResponse.make(data: V1Metadata.status(model, versions: [model]))
        }
        for path in ["/v1/models/{model}/metadata", "/v1/models/{model}/versions/{version}/metadata"] {
            router.on(path, method: .get, scope: .metadata, recordingIn: table) { _, context in
                JSONResponse.make(data: V1Metadata.signatures(try model(context)))
            }
        }
        for path in ["/v1/models/{model}:predict", "/v1/models/{model}/versions/{version}:predict"] {
            router.on(path, method: .post, scope: .inference, recordingIn: table) { request, context in
                let model = try model(context)
                // Any content type, as TensorFlow Serving reads the body (curl -d sends a form's).
                let body = try await request.collectBody(limit: configuration.maxBodySize)
                switch try V1Coding.request(body, model: model.name) {
                case .rows(let instances):
                    let items = try instances.enumerated().map { n, instance in try V1Coding.tensors(of: instance, at: n, for: model) }
                    let outputs = try await run(items, on: model, rows: true)
                    return JSONResponse.make(data: V1Coding.predictions(outputs, count: instances.count))
                case .columns(let inputs):
                    let items = try V1Columns.items(inputs, for: model)
                    return JSONResponse.make(data: V1Columns.outputs(try await run(items, on: model, rows: items.count > 1)))
                }
            }
        }
        // KServe's explain verb: its model servers answer 501 when no explainer stands beside the model.
        for path in ["/v1/models/{model}:explain", "/v1/models/{model}/versions/{version}:explain"] {
            router.on(path, method: .post, scope: .inference, recordingIn: table) { _, context in
                let model = try model(context)
                throw ServerError(.notImplemented, "model '\(model.name)' has no explainer: ledge serves :predict only")
            }
        }
    }

    /// The model (and version) named by the path, else 400 for a bad name or 404.
    private func model(_ context: some RequestContext) throws -> ServedModel {
        try repository.model(named: context.decodedParameter("model") ?? "", version: context.parameters.get("version"))
    }

    /// Each output of `items` run on `model`, the items' rows one after the other: batches (of at
    /// most the config's `max_batch_size`) when the model's batch dimension is dynamic, else one
    /// run each. With `rows`, every output must have a row per item: an output without the batch
    /// dimension has none to give.
    private func run(_ items: [[Tensor]], on model: ServedModel, rows: Bool) async throws -> [(name: String, tensor: Tensor)] {
        let dynamic = model.info.inputs.allSatisfy { ($0.shape.first ?? 0) < 0 }
        let size = dynamic ? max(model.batchLimit ?? items.count, 1) : 1
        var outputs: [[Tensor]] = []
        for start in stride(from: 0, to: items.count, by: size) {
            let chunk = items[start..<min(start + size, items.count)]
            let batch = try model.info.inputs.indices.map { i in try Tensor.concatenating(chunk.map { $0[i] }) }
            let run = try await repository.run(batch, on: model)
            if rows, let (spec, tensor) = zip(model.info.outputs, run).first(where: { $1.shape.first != chunk.count }) {
                throw LedgeError.invalidInput(
                    "model '\(model.name)' answers output '\(spec.name)' of shape \(TensorCoding.describe(tensor.shape)) for \(chunk.count) item(s): v1 needs one row per item, use /v2/models/\(model.name)/infer"
                )
            }
            outputs.append(run)
        }
        let joined = try model.info.outputs.indices.map { o in try Tensor.concatenating(outputs.map { $0[o] }) }
        return zip(model.info.outputs, joined).map { (name: $0.name, tensor: $1) }
    }
}
