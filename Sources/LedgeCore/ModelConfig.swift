#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A model's Triton `config.pbtxt`: the subset of Triton's `ModelConfig` that
/// Ledge serves. ``parse(_:file:)`` refuses every other field by name rather
/// than ignore it; ``completed(for:format:file:)`` fills what the config leaves
/// out from the model and checks what it gives against the model.
public struct ModelConfig: Sendable, Hashable {
    /// `name`: when given, it should be the model folder's name.
    public var name: String?
    /// `platform`: `onnxruntime_onnx` or `tflite`.
    public var platform: String?
    /// `backend`: `onnxruntime` or `tflite`.
    public var backend: String?
    /// `max_batch_size` as the config gives it; `nil` when it does not (then
    /// ``completed(for:format:file:)`` decides it from the model).
    public var declaredMaxBatchSize: Int?
    /// `inputs` and `outputs`, in the order written.
    public var inputs: [TensorConfig]
    public var outputs: [TensorConfig]
    /// `dynamic_batching`, when present.
    public var dynamicBatching: DynamicBatchingConfig?
    /// `instance_group`s; empty when the config has none (the server's default then applies).
    public var instanceGroups: [InstanceGroupConfig]
    /// `version_policy`: the versions served (default: the latest one).
    public var versionPolicy: VersionPolicy
    /// `parameters`: key → `string_value` (Ledge reads ``parameterKeys``; others are kept).
    public var parameters: [String: String]
    /// `model_warmup`: samples run on every instance before it serves, in the order written.
    public var warmups: [WarmupConfig] = []
    /// `default_model_filename`: the model file in each version folder (Triton's default: `model.onnx`
    /// or `model.tflite`; Ledge's: the folder's one model file).
    public var defaultModelFilename: String?

    /// The `label_filename` of an output (the classification extension's class names), a file in the
    /// model's folder: one per model (checked by ``parse(_:file:)``).
    public var labelFilename: String? { outputs.lazy.compactMap(\.labelFilename).first }

    /// The keys of `parameters` that Ledge understands for every model (`intra_op_thread_count` is
    /// Triton's ONNX Runtime backend's name for `threads`, 0 meaning the default; its other settings:
    /// ``onnxRuntimeParameterKeys``).
    public static let parameterKeys = ["threads", "intra_op_thread_count", "uri"]
    /// `optimization { graph { level } }`, Triton's ONNX Runtime graph optimization level (-1 basic,
    /// 1 extended, 2 none: ``onnxRuntimeSettings``); `nil` when the config does not set it or sets 0 (all, the default).
    public var graphLevel: Int?
    /// The range of the `threads` parameter.
    public static let threadsRange = 1...256

    public init(
        name: String? = nil, platform: String? = nil, backend: String? = nil, maxBatchSize: Int? = nil,
        inputs: [TensorConfig] = [], outputs: [TensorConfig] = [], dynamicBatching: DynamicBatchingConfig? = nil,
        instanceGroups: [InstanceGroupConfig] = [], versionPolicy: VersionPolicy = .latest(1),
        parameters: [String: String] = [:]
    ) {
        self.name = name
        self.platform = platform
        self.backend = backend
        self.declaredMaxBatchSize = maxBatchSize
        self.inputs = inputs
        self.outputs = outputs
        self.dynamicBatching = dynamicBatching
        self.instanceGroups = instanceGroups
        self.versionPolicy = versionPolicy
        self.parameters = parameters
    }

    /// `max_batch_size`: the largest batch the model takes, 0 when it takes no
    /// batch (then `dims` include the batch dimension, if the model has one).
    /// Reads 0 when the config does not set it; setting it declares it.
    public var maxBatchSize: Int {
        get { declaredMaxBatchSize ?? 0 }
        set { declaredMaxBatchSize = newValue }
    }

    /// The `threads` parameter as a number (checked by ``parse(_:file:)`` to be in ``threadsRange``),
    /// else a non-zero `intra_op_thread_count`.
    public var threads: Int? {
        parameters["threads"].flatMap { Int($0) } ?? parameters["intra_op_thread_count"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The sum of the `instance_group` counts; `nil` without groups.
    public var instanceCount: Int? {
        instanceGroups.isEmpty ? nil : instanceGroups.reduce(0) { $0 + $1.count }
    }

    /// Parses the text of a `config.pbtxt`; `file` names it in errors
    /// (`FILE:LINE:COL: …: expected …`, ``LedgeError/Code/invalidModel``).
    public static func parse(_ text: String, file: String) throws -> ModelConfig {
        let tree = try TextProto.parse(text, file: file)
        return try ModelConfigDecoder(file: file).decode(tree)
    }

    /// Reads a config given in Triton's JSON form (protobuf's JSON mapping of its
    /// `model_config.proto`: what a load request's `config` parameter holds), as `tree`: JSON
    /// objects as messages, arrays as lists, strings as strings (enum values and 64-bit
    /// integers are strings in that form: both are taken), numbers as numbers, `true` and
    /// `false` as those words. The same fields as a config.pbtxt, checked the same way;
    /// `source` names it in errors (`SOURCE: FIELD: …`, no position).
    public static func decode(json tree: TextProto, source: String) throws -> ModelConfig {
        try ModelConfigDecoder(file: source, json: true).decode(tree)
    }

    /// Reads and parses the `config.pbtxt` at `path` (an empty file is an empty config).
    public static func load(path: String) throws -> ModelConfig {
        let data = try CheckedFile.read(
            path, kind: "model config", expected: "a config.pbtxt file", code: .invalidModel, allowEmpty: true)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw LedgeError.invalidModel("\(path): not UTF-8 text: expected a config.pbtxt in protobuf text format")
        }
        return try parse(text, file: path)
    }
}

/// One `input` or `output` of a ``ModelConfig``.
public struct TensorConfig: Sendable, Hashable {
    public var name: String
    /// `data_type`, as `TYPE_FP32` maps to ``DType/float32``.
    public var dtype: DType
    /// `dims`, without the batch dimension when `max_batch_size` > 0; -1 for a dynamic dimension.
    public var dims: [Int]
    /// An output's `label_filename`: its class names, a file in the model's folder.
    public var labelFilename: String?
    /// `reshape { shape: […] }`: the model's shape of the tensor (without the batch dimension when
    /// `max_batch_size` > 0) when clients see `dims`; the same elements either way.
    public var reshape: [Int]?
    /// An input's `format` (`FORMAT_NCHW`, `FORMAT_NHWC`, `FORMAT_NONE`): shown, not used.
    public var format: String?

    public init(name: String, dtype: DType, dims: [Int], labelFilename: String? = nil, reshape: [Int]? = nil, format: String? = nil) {
        self.name = name
        self.dtype = dtype
        self.dims = dims
        self.labelFilename = labelFilename
        self.reshape = reshape
        self.format = format
    }
}

/// `dynamic_batching { preferred_batch_size: [...] max_queue_delay_microseconds: N default_queue_policy { … }
/// priority_levels: L default_priority_level: D priority_queue_policy { … } }`.
public struct DynamicBatchingConfig: Sendable, Hashable {
    public var preferredBatchSizes: [Int]
    public var maxQueueDelayMicroseconds: Int
    /// `default_queue_policy`: how long requests may wait for an instance, and how many; `nil`: the server's.
    public var queuePolicy: QueuePolicyConfig?
    /// `priority_levels` and the rest of Triton's priority scheduling; `nil`: none (a request's priority is ignored).
    public var priorities: PriorityLevelsConfig?

    public init(
        preferredBatchSizes: [Int] = [], maxQueueDelayMicroseconds: Int = 0, queuePolicy: QueuePolicyConfig? = nil,
        priorities: PriorityLevelsConfig? = nil
    ) {
        self.preferredBatchSizes = preferredBatchSizes
        self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
        self.queuePolicy = queuePolicy
        self.priorities = priorities
    }
}

/// `default_queue_policy { timeout_action: REJECT|DELAY default_timeout_microseconds: N
/// allow_timeout_override: B max_queue_size: M }` (Triton's queue policy): a request still
/// waiting for an instance when its timeout passes is refused (REJECT: 503, gRPC UNAVAILABLE)
/// or goes behind the requests of its priority level whose timeouts have not passed (DELAY);
/// one that has started runs to its end.
public struct QueuePolicyConfig: Sendable, Hashable {
    /// The timeout of every request, in microseconds; 0: none.
    public var defaultTimeoutMicroseconds: Int
    /// Whether a request's own `timeout` parameter counts (it may shorten the default, never lengthen it).
    public var allowTimeoutOverride: Bool
    /// How many requests may wait; 0: the server's `--queue-limit`.
    public var maxQueueSize: Int
    /// `timeout_action: DELAY`: a request whose timeout passes is served after the others of its
    /// level instead of refused.
    public var delays: Bool

    public init(defaultTimeoutMicroseconds: Int = 0, allowTimeoutOverride: Bool = false, maxQueueSize: Int = 0, delays: Bool = false) {
        self.delays = delays
        self.defaultTimeoutMicroseconds = defaultTimeoutMicroseconds
        self.allowTimeoutOverride = allowTimeoutOverride
        self.maxQueueSize = maxQueueSize
    }

    /// How long a request may wait for an instance, in microseconds (`nil`: as long as it
    /// takes), given its own `timeout` parameter (`requested`; 0 or `nil`: none) and the
    /// model's `policy`. Without a policy a request's timeout counts; with one, as Triton's:
    /// the default, or the request's when the policy allows it and it is shorter (or there is no default).
    public static func timeout(requested: Int?, policy: QueuePolicyConfig?) -> Int? {
        let requested = requested.flatMap { $0 > 0 ? $0 : nil }
        guard let policy else { return requested }
        let fallback = policy.defaultTimeoutMicroseconds > 0 ? policy.defaultTimeoutMicroseconds : nil
        guard policy.allowTimeoutOverride, let requested else { return fallback }
        return min(requested, fallback ?? requested)
    }
}

/// `instance_group { count: N kind: KIND_CPU }`.
public struct InstanceGroupConfig: Sendable, Hashable {
    /// Instances in the group (when the config leaves it out, ``countGiven`` is false and the
    /// server gives Triton's default: ``defaultCount(for:)``).
    public var count: Int
    /// Always `KIND_CPU` (`KIND_AUTO` and a missing kind resolve to it; other kinds are refused).
    public var kind: String
    /// Whether the config gives ``count``.
    public var countGiven: Bool

    public init(count: Int = 1, kind: String = "KIND_CPU", countGiven: Bool = true) {
        self.count = count
        self.kind = kind
        self.countGiven = countGiven
    }

    /// Triton's count for a CPU group that gives none: 2 for its ONNX Runtime backend, 1 for others.
    public static func defaultCount(for format: ModelFormat) -> Int { format == .onnx ? 2 : 1 }
}

/// `version_policy`: which versions of a model folder are served.
public enum VersionPolicy: Sendable, Hashable {
    /// `latest { num_versions: N }`: the N highest versions.
    case latest(Int)
    /// `all {}`: every version.
    case all
    /// `specific { versions: [...] }`: these versions, those that exist.
    case specific([Int])

    /// The versions served out of `available` (sorted ascending in the result).
    public func select(_ available: [Int]) -> [Int] {
        let sorted = Array(Set(available)).sorted()
        switch self {
        case .latest(let count): return Array(sorted.suffix(max(count, 0)))
        case .all: return sorted
        case .specific(let versions): return sorted.filter(versions.contains)
        }
    }
}
