internal import LedgeCore
public import LedgeEngine

/// Where models come from: model files, or a folder of model folders.
public enum ModelSource: Sendable, Hashable {
    /// Model files, each served under its name (default: the file name without extension) as version 1,
    /// or model folders (``RepositoryLayout/folder(at:name:)``, default name: the folder's) read whole.
    case files([ModelFileSource])
    /// A model repository: one folder per model, in Triton's layout (`NAME/config.pbtxt`,
    /// `NAME/<version>/model.onnx|model.tflite`, `NAME/labels.txt`) or the flat one
    /// (`NAME/file.tflite|.onnx`, served as version 1).
    case repository(path: String)

    /// One model file served under `name`.
    public static func file(path: String, name: String?) -> ModelSource { .files([ModelFileSource(path: path, name: name)]) }
}

/// One model file and the name to serve it under.
public struct ModelFileSource: Sendable, Hashable {
    public var path: String
    /// `nil`: the file name without its extension.
    public var name: String?

    public init(path: String, name: String? = nil) {
        self.path = path
        self.name = name
    }
}

/// When models are loaded and unloaded, with Triton's names (`--model-control-mode`).
public enum ModelControlMode: String, Sendable, CaseIterable {
    /// Every model is loaded at start; nothing changes while serving.
    case none
    /// Every model is loaded at start, and the repository is polled: new, changed and removed
    /// models and versions are loaded, reloaded and unloaded while serving.
    case poll
    /// Only the models named at start are loaded; `POST /v2/repository/models/NAME/load|unload` do the rest.
    case explicit
}

/// How the repository loads models: instances, threads, probing, control.
public struct RepositoryOptions: Sendable {
    /// Engine options (threads per session unless a model's config sets `threads`, runtime libraries).
    public var engine: EngineOptions
    /// Sessions per model, unless a model's config has an `instance_group`. `nil` with
    /// no threads set here or in the config: the adaptive pool (see ``InstancePlan``).
    public var instances: Int?
    /// The cores the pool shares between its runs (default: the machine's).
    public var cores: Int
    /// Requests that may wait per model before 503.
    public var queueLimit: Int
    /// The queue timeout of every request to a model without its own `default_queue_policy`,
    /// in microseconds (`--queue-timeout-us`; a request's shorter `timeout` counts); `nil`: none.
    public var queueTimeout: Int?
    /// Opens each model in a child process first (see ``ModelProbe``); `nil` loads directly.
    public var probe: ModelProbe?
    /// When models are loaded and unloaded.
    public var controlMode: ModelControlMode
    /// How often ``ModelControlMode/poll`` looks at the repository.
    public var pollInterval: Duration
    /// With ``ModelControlMode/explicit``: the models loaded at start (`*`: all).
    public var startupModels: [String]
    /// Dynamic batching for every model with a batch dimension whose config.pbtxt sets none; `nil`: none.
    public var batching: BatchingPolicy?
    /// Fetches the model of a config's `uri` parameter (https, http, file; `#sha256=` pin) and
    /// returns the local model file; `nil`: such models are refused. Blocking; called off the pool.
    public var fetchURI: (@Sendable (_ uri: String) throws -> String)?
    /// Brings the repository's folder up to date before each look at it (poll mode) and each
    /// explicit load: a mirror of a repository kept elsewhere (`s3://`); it logs its own failures.
    public var refreshSource: (@Sendable () async -> Void)?
    /// Called on the loading thread as each model's load begins (tests see loads overlap).
    package var willLoad: (@Sendable (_ name: String) -> Void)?
    /// Decode JPEGs at full size instead of at the DCT scale that covers a model's input (`--exact-decode`).
    public var exactDecode: Bool
    /// A model version is ready once its first instance is open (the wide one of the adaptive
    /// plan, else the first); the others open once ``ModelRepository/openRemainingInstances()``
    /// is called (the server calls it when it listens; at once for versions loaded after that),
    /// and join its pool as they do (see ``SessionPool/add(_:)``). `false`: every instance is
    /// open before the version is ready.
    public var readyOnFirstInstance: Bool
    /// Clients may register system shared memory regions for inputs and outputs (`--allow-client-shm`).
    public var allowClientSharedMemory: Bool
    /// Which inference requests are traced, to which file (`--trace-config`; changed while serving).
    public var trace: TraceSettings
    /// Where the model files sent with a load (Triton's `file:` load parameters) are written, and
    /// how much one load may send; `nil`: loads with files are refused.
    public var uploads: UploadSettings?

    public init(
        engine: EngineOptions = EngineOptions(), instances: Int? = 1, cores: Int = InstancePlan.machineCores, queueLimit: Int = 64,
        probe: ModelProbe? = nil,
        controlMode: ModelControlMode = .none, pollInterval: Duration = .seconds(15), startupModels: [String] = [],
        batching: BatchingPolicy? = nil, fetchURI: (@Sendable (_ uri: String) throws -> String)? = nil,
        exactDecode: Bool = false, readyOnFirstInstance: Bool = false, allowClientSharedMemory: Bool = false,
        trace: TraceSettings = TraceSettings(), refreshSource: (@Sendable () async -> Void)? = nil, queueTimeout: Int? = nil,
        uploads: UploadSettings? = nil
    ) {
        self.uploads = uploads
        self.queueTimeout = queueTimeout
        self.refreshSource = refreshSource
        self.trace = trace
        self.allowClientSharedMemory = allowClientSharedMemory
        self.exactDecode = exactDecode
        self.readyOnFirstInstance = readyOnFirstInstance
        self.batching = batching
        self.fetchURI = fetchURI
        self.engine = engine
        self.instances = instances
        self.cores = max(cores, 1)
        self.queueLimit = queueLimit
        self.probe = probe
        self.controlMode = controlMode
        self.pollInterval = pollInterval
        self.startupModels = startupModels
    }
}
