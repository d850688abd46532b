internal import Dispatch
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
public import LedgeEngine
public import Logging
internal import Synchronization

/// A model the server serves: its name, what it is, and its instance pool.
public final class ServedModel: Sendable {
    /// The name clients use in URLs.
    public let name: String
    /// The served version (always "1" until versioned repositories land).
    public let version: String
    /// Tensors, metadata and runtime of the model.
    public let info: ModelInfo
    /// The instances requests borrow.
    public let pool: SessionPool
    /// Batches infer requests on ``pool``; `nil`: each request runs alone.
    public let batcher: DynamicBatcher?

    /// A served model over a pool, with a dynamic batcher over it or none.
    public init(name: String, version: String = "1", info: ModelInfo, pool: SessionPool, batcher: DynamicBatcher? = nil) {
        self.name = name
        self.version = version
        self.info = info
        self.pool = pool
        self.batcher = batcher
    }

    /// The platform as Triton names it: `tflite` or `onnxruntime_onnx`.
    public var platform: String {
        switch info.format {
        case .tflite: return "tflite"
        case .onnx: return "onnxruntime_onnx"
        }
    }
}

/// Where models come from: model files, or a folder of model folders.
public enum ModelSource: Sendable, Hashable {
    /// Model files, each served under its name (default: the file name without extension).
    case files([ModelFileSource])
    /// A folder holding one sub-folder per model, each with one `.tflite` or
    /// `.onnx` file and optionally `labels.txt`.
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

/// How many instances each model gets and how they are opened.
public struct RepositoryOptions: Sendable {
    /// Engine options (threads per session, runtime libraries).
    public var engine: EngineOptions
    /// Sessions per model.
    public var instances: Int
    /// Requests that may wait per model before 503.
    public var queueLimit: Int
    /// Opens each model in a child process first (see ``ModelProbe``); `nil` loads directly.
    public var probe: ModelProbe?
    /// Dynamic batching for every model with a batch dimension; `nil`: none.
    public var batching: BatchingPolicy?

    public init(
        engine: EngineOptions = EngineOptions(), instances: Int = 1, queueLimit: Int = 64, probe: ModelProbe? = nil,
        batching: BatchingPolicy? = nil
    ) {
        self.engine = engine
        self.instances = instances
        self.queueLimit = queueLimit
        self.probe = probe
        self.batching = batching
    }
}

/// A model that could not be loaded, and why: the others serve without it.
public struct ModelLoadFailure: Sendable, Hashable {
    public var name: String
    public var path: String
    /// The error's one-line message, naming the file.
    public var error: LedgeError
}

/// The models a server serves, by name.
public final class ModelRepository: Sendable {
    /// Models by name.
    public let models: [String: ServedModel]
    /// Models that failed to load (listed by the repository index as UNAVAILABLE with the reason).
    public let failures: [ModelLoadFailure]
    /// The Prometheus metrics of these models (one registry per repository).
    public let metrics: ServerMetrics

    /// A repository of already loaded models.
    public init(models: [ServedModel], failures: [ModelLoadFailure] = []) {
        self.models = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.failures = failures
        self.metrics = ServerMetrics(models: self.models.values)
    }

    /// The model called `name`, else a ``LedgeError/Code/notFound`` error.
    public func model(named name: String) throws -> ServedModel {
        try Self.validate(name: name)
        guard let model = models[name] else { throw LedgeError.unknownModel(name) }
        return model
    }

    /// Model names in order.
    public var names: [String] { models.keys.sorted() }

    /// Opens every model of `source` with `options.instances` sessions each.
    ///
    /// A model that fails to load (malformed, or crashing, hanging or
    /// exhausting the probe) is logged and left out while others load; when
    /// none loads, the first failure is thrown. Duplicate names are refused.
    public static func load(_ source: ModelSource, options: RepositoryOptions, logger: Logger) throws -> ModelRepository {
        try options.batching?.validate()
        let entries = try scan(source)
        let results = Mutex([Result<ServedModel, LedgeError>?](repeating: nil, count: entries.count))
        // Models load (and are probed) in parallel: cold start is what an orchestrator waits for.
        DispatchQueue.concurrentPerform(iterations: entries.count) { index in
            let entry = entries[index]
            let result: Result<ServedModel, LedgeError>
            do {
                result = .success(try loadModel(name: entry.name, path: entry.model, labels: entry.labels, options: options, logger: logger))
            } catch let error as LedgeError {
                // Every model error names the file.
                result = .failure(error.message.contains(entry.model) ? error : LedgeError(error.code, "\(entry.model): \(error.message)"))
            } catch {
                result = .failure(LedgeError.invalidModel("model '\(entry.name)' (\(entry.model)): \(error)"))
            }
            results.withLock { $0[index] = result }
        }
        var loaded: [ServedModel] = []
        var failures: [ModelLoadFailure] = []
        for (entry, result) in zip(entries, results.withLock { $0 }) {
            switch result {
            case .success(let model)?: loaded.append(model)
            case .failure(let error)?:
                failures.append(ModelLoadFailure(name: entry.name, path: entry.model, error: error))
            case nil: break
            }
        }
        if loaded.isEmpty, let first = failures.first { throw first.error }
        for failure in failures {
            logger.error("model '\(failure.name)' not served: \(failure.error.message)")
        }
        return ModelRepository(models: loaded, failures: failures)
    }

    /// Checks that a model name in a URL is one path segment of safe characters.
    public static func validate(name: String) throws {
        if let message = RepositoryLayout.problem(name: name, what: "model name") { throw LedgeError.invalidInput(message) }
    }

    private typealias Entry = RepositoryLayout.Entry

    /// The models of `source`, names checked and unique.
    private static func scan(_ source: ModelSource) throws -> [Entry] {
        switch source {
        case .files(let files): return try RepositoryLayout.entries(files: files.map { ($0.path, $0.name) })
        case .repository(let path): return try RepositoryLayout.scan(path)
        }
    }

    private static func loadModel(
        name: String, path: String, labels: String?, options: RepositoryOptions,
        logger: Logger
    ) throws -> ServedModel {
        let file = try ModelFile(path: path)  // read once: the probe's cache key and the instances use its bytes
        // A file that crashes, hangs or exhausts a runtime does it in a child process, not here.
        if let probe = options.probe { try probe.check(file: file, logger: logger) }
        let count = max(options.instances, 1)
        let opened = Mutex([Result<ModelInstance, any Error>?](repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let result = Result {
                let session = try ModelLoader.open(file: file, options: options.engine, logger: logger)
                return ModelInstance(session: session, classifierOptions: ClassifierOptions(labelsPath: labels), index: index)
            }
            opened.withLock { $0[index] = result }
        }
        let instances = try opened.withLock { $0 }.map { try $0!.get() }
        let info = instances[0].session.info
        logger.info("loaded model '\(name)' from \(path): \(count) instance(s)")
        let pool = SessionPool(modelName: name, instances: instances, queueLimit: options.queueLimit)
        let batcher = DynamicBatcher.forModel(
            named: name, info: info, pool: pool, policy: options.batching, queueLimit: options.queueLimit, logger: logger)
        return ServedModel(name: name, info: info, pool: pool, batcher: batcher)
    }
}
