internal import Dispatch
internal import Foundation
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

    /// A served model over a pool.
    public init(name: String, version: String = "1", info: ModelInfo, pool: SessionPool) {
        self.name = name
        self.version = version
        self.info = info
        self.pool = pool
    }

    /// The platform as Triton names it: `tflite` or `onnxruntime_onnx`.
    public var platform: String {
        switch info.format {
        case .tflite: return "tflite"
        case .onnx: return "onnxruntime_onnx"
        }
    }
}

/// Where models come from: one file, or a folder of model folders.
public enum ModelSource: Sendable, Hashable {
    /// One model file served under `name` (default: the file name without extension).
    case file(path: String, name: String?)
    /// A folder holding one sub-folder per model, each with one `.tflite` or
    /// `.onnx` file and optionally `labels.txt`.
    case repository(path: String)
}

/// How many instances each model gets and how they are opened.
public struct RepositoryOptions: Sendable {
    /// Engine options (threads per session, runtime libraries).
    public var engine: EngineOptions
    /// Sessions per model.
    public var instances: Int
    /// Requests that may wait per model before 503.
    public var queueLimit: Int

    public init(engine: EngineOptions = EngineOptions(), instances: Int = 1, queueLimit: Int = 64) {
        self.engine = engine
        self.instances = instances
        self.queueLimit = queueLimit
    }
}

/// The models a server serves, by name.
public final class ModelRepository: Sendable {
    /// Models by name.
    public let models: [String: ServedModel]
    /// The Prometheus metrics of these models (one registry per repository).
    public let metrics: ServerMetrics

    /// A repository of already loaded models.
    public init(models: [ServedModel]) {
        self.models = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.metrics = ServerMetrics(models: self.models.values)
    }

    /// The model called `name`, or 404.
    public func model(named name: String) throws -> ServedModel {
        try Self.validate(name: name)
        guard let model = models[name] else { throw ServerError.unknownModel(name) }
        return model
    }

    /// Model names in order.
    public var names: [String] { models.keys.sorted() }

    /// Opens every model of `source` with `options.instances` sessions each.
    public static func load(_ source: ModelSource, options: RepositoryOptions, logger: Logger) throws -> ModelRepository {
        switch source {
        case .file(let path, let name):
            let modelName = name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            try validate(name: modelName, what: "--name")
            return ModelRepository(models: [try loadModel(name: modelName, path: path, labels: nil, options: options, logger: logger)])
        case .repository(let path):
            return ModelRepository(models: try scan(path).map {
                try loadModel(name: $0.name, path: $0.model, labels: $0.labels, options: options, logger: logger)
            })
        }
    }

    /// Checks that a model name in a URL is one path segment of safe characters (else 400).
    public static func validate(name: String) throws {
        if let message = problem(name: name, what: "model name") { throw ServerError.badRequest(message) }
    }

    /// Why `name` cannot name a model, or `nil` when it can.
    static func problem(name: String, what: String) -> String? {
        let ok = !name.isEmpty && !name.hasPrefix(".") && !name.contains("..")
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
        return ok ? nil : "\(what) '\(name)' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')"
    }

    private static func validate(name: String, what: String) throws {
        if let message = problem(name: name, what: what) { throw LedgeError.usage(message) }
    }

    private static func scan(_ path: String) throws -> [(name: String, model: String, labels: String?)] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LedgeError.usage("--model-repository \(path): not a directory")
        }
        let entries = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        var found: [(String, String, String?)] = []
        for entry in entries.sorted() where !entry.hasPrefix(".") {
            let folder = path + "/" + entry
            guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            try validate(name: entry, what: "model folder")
            let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            let models = files.filter { $0.hasSuffix(".tflite") || $0.hasSuffix(".onnx") }
            guard models.count == 1, let model = models.first else {
                throw LedgeError.usage(
                    "--model-repository \(folder): expected one .tflite or .onnx file, found \(models.count)")
            }
            let labels = files.contains("labels.txt") ? folder + "/labels.txt" : nil
            found.append((entry, folder + "/" + model, labels))
        }
        guard !found.isEmpty else {
            throw LedgeError.usage("--model-repository \(path): no model folders (expected DIR/NAME/model.tflite or .onnx)")
        }
        return found
    }

    private static func loadModel(name: String, path: String, labels: String?, options: RepositoryOptions,
                                  logger: Logger) throws -> ServedModel {
        let count = max(options.instances, 1)
        // The instances compile at the same time (one per core): cold start is what an orchestrator waits for.
        let file = try ModelFile(path: path)  // read once: the instances share its bytes
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
        return ServedModel(name: name, info: info,
                           pool: SessionPool(modelName: name, instances: instances, queueLimit: options.queueLimit))
    }
}
