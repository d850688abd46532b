/// The two model formats Ledge runs.
public enum ModelFormat: String, Sendable, Hashable, Codable {
    case tflite
    case onnx

    /// The runtime that runs this format, as Ledge names it.
    public var runtimeName: String {
        switch self {
        case .tflite: return "litert"
        case .onnx: return "onnxruntime"
        }
    }
}

/// Input normalization a model declares: `(pixel - mean) / std` per channel, on 0–255 pixels.
public struct Normalization: Sendable, Hashable {
    public var mean: [Float]
    public var std: [Float]
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }
}

/// What a model file says about itself besides its tensors.
public struct ModelMetadata: Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var version: String?
    public var author: String?
    /// Names of files embedded in or referenced by the model (labels and such).
    public var associatedFiles: [String] = []
    /// Class labels found in the model, in class-index order.
    public var labels: [String]?
    /// Input normalization declared by the model's metadata.
    public var normalization: Normalization?
    /// How images were prepared for the model, from a file beside it (``ModelSidecar``).
    public var recipe: ImageRecipe?
    /// Where ``labels`` came from when not from the model itself (a `config.json` beside it).
    public var labelsSource: String?
    /// Other key/value metadata (ONNX custom metadata, producer name, …).
    public var properties: [String: String] = [:]

    public init() {}

    /// Adds what the files beside the model at `modelPath` say (``ModelSidecar``): its image
    /// recipe, and its labels when the model embeds none. Throws for a sidecar file that is not
    /// as expected.
    public mutating func addSidecar(besides modelPath: String) throws {
        guard let sidecar = try ModelSidecar.load(besides: modelPath) else { return }
        recipe = sidecar.recipe
        if labels == nil, let found = sidecar.labels {
            labels = found
            labelsSource = sidecar.labelsSource
        }
    }
}

/// Everything `ledge inspect` reports about a loaded model.
public struct ModelInfo: Sendable {
    public var path: String
    public var format: ModelFormat
    public var runtimeVersion: String
    public var sizeBytes: Int
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]
    /// Signature keys (TFLite); empty for ONNX.
    public var signatures: [String]
    public var metadata: ModelMetadata
    /// Operator name × count, in first-seen order (TFLite; ONNX nodes when known).
    public var operators: [(name: String, count: Int)]

    public init(
        path: String, format: ModelFormat, runtimeVersion: String, sizeBytes: Int,
        inputs: [TensorSpec], outputs: [TensorSpec], signatures: [String] = [],
        metadata: ModelMetadata = ModelMetadata(), operators: [(name: String, count: Int)] = []
    ) {
        self.path = path
        self.format = format
        self.runtimeVersion = runtimeVersion
        self.sizeBytes = sizeBytes
        self.inputs = inputs
        self.outputs = outputs
        self.signatures = signatures
        self.metadata = metadata
        self.operators = operators
    }

    /// Whether the model computes in integers: decided by the backend from the
    /// types of all the graph's tensors (or its operators), `nil` when unknown.
    public var quantized: QuantizedVerdict?
}

/// The verdict of ``ModelInfo/quantized``: `yes` when every tensor that holds
/// data is an integer (quantized) type, `no` when none is, `partial` otherwise.
public enum QuantizedVerdict: String, Sendable {
    case yes, no, partial
}
