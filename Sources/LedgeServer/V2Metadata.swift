internal import LedgeCore
internal import LedgeServing
internal import LedgeEngine

/// `GET /v2`.
struct ServerMetadata: Encodable, Sendable {
    var name: String
    var version: String
    var extensions: [String]
}

/// One tensor of `GET /v2/models/{m}`.
struct TensorMetadata: Encodable, Sendable {
    var name: String
    var datatype: String
    var shape: [Int]

    init(_ spec: TensorSpec) {
        name = spec.name
        datatype = spec.dtype.v2Name
        shape = spec.shape.map { $0 < 0 ? -1 : $0 }
    }
}

/// `GET /v2/models/{m}[/versions/{v}]`.
struct ModelMetadataResponse: Encodable, Sendable {
    var name: String
    var versions: [String]
    var platform: String
    var inputs: [TensorMetadata]
    var outputs: [TensorMetadata]

    /// The metadata of `model`, listing `versions` (default: its own).
    init(_ model: ServedModel, versions: [String]? = nil) {
        name = model.name
        self.versions = versions ?? [model.version]
        platform = model.platform
        inputs = model.info.inputs.map(TensorMetadata.init)
        outputs = model.info.outputs.map(TensorMetadata.init)
    }
}

/// `GET /v2/models/{m}/ready` and the health endpoints.
struct ReadyResponse: Encodable, Sendable {
    var ready: Bool
}

/// `{"live": true}`, the body of `GET /v2/health/live` as the protocol has it.
struct LiveResponse: Encodable, Sendable {
    var live: Bool
}

/// `POST /v2/models/{m}/classify`.
struct ClassifyResponse: Encodable, Sendable {
    var model_name: String
    var top: [ScoredLabel]
    var timing_us: ClassificationTiming
}
