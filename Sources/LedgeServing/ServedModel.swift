public import LedgeCore
public import LedgeEngine

/// One loaded version of a model the server serves: its name, version,
/// effective configuration and instance pool. Requests hold it while they run,
/// so a version swapped out by a reload is freed once its last request ends.
public final class ServedModel: Sendable {
    /// The name clients use in URLs.
    public let name: String
    /// The version, a positive integer as text ("1" for a flat model folder or a model file).
    public let version: String
    /// Tensors, metadata and runtime of the model.
    public let info: ModelInfo
    /// The instances requests borrow.
    public let pool: SessionPool
    /// Class names (labels.txt, else the model's embedded labels), for the classification extension.
    public let labels: [String]?
    /// The configuration in effect: config.pbtxt completed from the model (or only from the model).
    public let config: ModelConfig
    /// Batches infer requests on ``pool``; `nil`: each request runs alone.
    public let batcher: DynamicBatcher?
    /// Identity of the files it was loaded from (path, size, modification time, inode), to notice changes.
    package let fileKey: String
    /// The model's image decode, preprocessing and top-k, shared by its instances: run
    /// on the request's task, so an instance is held only for the session run.
    /// `nil` when the model does not take one image (see ``imagePipelineError``).
    public let imagePipeline: ImagePipeline?
    /// Why ``imagePipeline`` is `nil`, to tell clients of the image endpoint.
    public let imagePipelineError: String?
    /// How long requests may wait for an instance: the config's `default_queue_policy`, else
    /// the server's `--queue-timeout-us`; `nil`: a request's own `timeout` alone.
    public let queuePolicy: QueuePolicyConfig?
    /// The most items one request may carry: the `max_batch_size` its config.pbtxt sets (> 0),
    /// as Triton refuses a larger batch; `nil` when the config sets none (the model's own shape bounds it).
    public let batchLimit: Int?
    /// The config's priority levels (Triton's priority scheduling), when its batcher serves them;
    /// `nil`: a request's `priority` is ignored.
    public let priorities: PriorityLevelsConfig?
    /// The instances and threads it was opened with (its config's `instance_group` and `threads`
    /// over the server's options); `nil` for a model made without a plan.
    public let plan: InstancePlan?

    /// A served model over a pool.
    public init(
        name: String, version: String = "1", info: ModelInfo, pool: SessionPool, labels: [String]? = nil,
        config: ModelConfig? = nil, batcher: DynamicBatcher? = nil, fileKey: String = "",
        imagePipeline: ImagePipeline? = nil, imagePipelineError: String? = nil, queuePolicy: QueuePolicyConfig? = nil,
        batchLimit: Int? = nil, priorities: PriorityLevelsConfig? = nil, plan: InstancePlan? = nil
    ) {
        self.plan = plan
        self.priorities = batcher == nil ? nil : priorities
        self.batchLimit = batchLimit
        self.queuePolicy = queuePolicy
        self.imagePipeline = imagePipeline
        self.imagePipelineError = imagePipelineError
        self.batcher = batcher
        self.name = name
        self.version = version
        self.info = info
        self.pool = pool
        self.labels = labels ?? info.metadata.labels
        // As Triton completes it: a config always names its model.
        var config = config ?? ModelConfig()
        if config.name?.isEmpty ?? true { config.name = name }
        self.config = config
        self.fileKey = fileKey
    }

    /// The platform as Triton names it: `tflite` or `onnxruntime_onnx`.
    public var platform: String {
        switch info.format {
        case .tflite: return "tflite"
        case .onnx: return "onnxruntime_onnx"
        }
    }

    /// The version as a number (0 when it is not one).
    package var versionNumber: Int { Int(version) ?? 0 }
}
