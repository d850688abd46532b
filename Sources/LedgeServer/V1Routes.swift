#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Hummingbird
internal import LedgeCore
internal import LedgeServing

/// KServe's v1 protocol (TensorFlow Serving's REST API, KServe's default `protocolVersion`):
/// `GET /v1/models` (`{"models": [names]}`), `GET /v1/models/{m}` (`{"name": m, "ready": true}`)
/// and `POST /v1/models/{m}:predict` with `{"instances": […]}` answered `{"predictions": […]}`
/// (``V1Coding``). The instances run through the same pool, batcher, metrics and statistics as
/// V2 infer requests; errors are `{"error": …}` with V2's statuses.
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
            let model = try repository.model(named: context.decodedParameter("model") ?? "")
            var json = SeldonJSON()
            json.raw(#"{"name":"#)
            json.string(model.name)
            json.raw(#","ready":true}"#)
            return JSONResponse.make(data: Data(json.bytes))
        }
        router.on("/v1/models/{model}:predict", method: .post, scope: .inference, recordingIn: table) { request, context in
            let model = try repository.model(named: context.decodedParameter("model") ?? "")
            // Any content type, as TensorFlow Serving reads the body (curl -d sends a form's).
            let body = try await request.collectBody(limit: configuration.maxBodySize)
            return JSONResponse.make(data: try await predict(try V1Coding.instances(body), on: model))
        }
    }

    /// The predictions of `instances`: one batch when the model's batch dimension is dynamic, else one run each.
    private func predict(_ instances: [JSONValue], on model: ServedModel) async throws -> Data {
        let items = try instances.enumerated().map { n, instance in try V1Coding.tensors(of: instance, at: n, for: model) }
        let dynamic = model.info.inputs.allSatisfy { ($0.shape.first ?? 0) < 0 }
        var outputs: [[Tensor]] = []
        if dynamic && items.count > 1 {
            let batch = try model.info.inputs.indices.map { i in try Tensor.concatenating(items.map { $0[i] }) }
            outputs = [try await repository.run(batch, on: model)]
        } else {
            for item in items { outputs.append(try await repository.run(item, on: model)) }
        }
        let joined = try model.info.outputs.indices.map { o in try Tensor.concatenating(outputs.map { $0[o] }) }
        // A row per instance: an output without the batch dimension has none to give.
        if let (spec, tensor) = zip(model.info.outputs, joined).first(where: { $1.shape.first != instances.count }) {
            throw LedgeError.invalidInput(
                "model '\(model.name)' answers output '\(spec.name)' of shape \(TensorCoding.describe(tensor.shape)) for \(instances.count) instance(s): v1 needs one row per instance, use /v2/models/\(model.name)/infer"
            )
        }
        return V1Coding.predictions(zip(model.info.outputs, joined).map { (name: $0.name, tensor: $1) }, count: instances.count)
    }
}
