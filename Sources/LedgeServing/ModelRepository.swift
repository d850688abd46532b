internal import Dispatch
internal import LedgeCore
public import Logging
internal import Synchronization

/// The models a server serves, by name and version, and how they change while
/// it serves (see ``ModelControlMode``). Lookups take a snapshot under a lock;
/// loading runs on the repository's own serial queue, one change at a time,
/// and swaps a model's versions in at once: requests in flight finish on the
/// versions they hold, which are freed when the last one ends.
public final class ModelRepository: Sendable {
    /// One model name: its ready versions and why others are not.
    struct Slot: Sendable {
        /// Ready versions by number.
        var versions: [Int: ServedModel] = [:]
        /// Versions that failed to load (or reload), and why.
        var failures: [Int: LedgeError] = [:]
        /// Why the model as a whole failed (its folder or config), if it did.
        var failure: LedgeError?
        /// The fingerprint of the model's files when it was last applied.
        var fingerprint: String?
        /// Unloaded on request (explicit mode).
        var unloaded = false
        /// Versions that served and were unloaded (superseded, out of the policy, removed, or on request).
        var retired: Set<Int> = []
        /// The config a load request gave (Triton's `config` parameter), used instead of the
        /// folder's config.pbtxt until a load without one or an unload.
        var override: ConfigOverride?

        /// The version unversioned requests go to: the highest ready one.
        var latest: ServedModel? { versions.max { $0.key < $1.key }?.value }
    }

    /// A load request's config: its JSON text (part of the versions' identity) and what it says,
    /// and the folder its files were written to, when it sent files (loaded instead of the repository's).
    struct ConfigOverride: Sendable {
        var text: String
        var config: ModelConfig
        var upload: UploadedFolder?
    }

    /// Where the models come from.
    public let source: ModelSource
    public let options: RepositoryOptions
    /// The Prometheus metrics of these models (one registry per repository).
    public let metrics: ServerMetrics
    let logger: Logger
    let slots = Mutex<[String: Slot]>([:])
    /// Loads, reloads and unloads run here, one at a time, off Swift's cooperative pool.
    let changes = DispatchQueue(label: "ledge.repository.changes")
    /// The instances left for after ready (``RepositoryOptions/readyOnFirstInstance``).
    let growth: InstanceGrowth
    /// The shared memory regions clients registered for these models' inputs and outputs.
    public let sharedMemory: SharedMemoryRegistry
    /// The trace extension: which requests are traced and where their traces go.
    public let tracing: RequestTracing
    private let draining = Atomic<Bool>(false)

    /// A repository over `source` with nothing loaded yet (see ``load(_:options:logger:)``).
    public init(source: ModelSource, options: RepositoryOptions, logger: Logger) {
        self.source = source
        self.options = options
        self.logger = logger
        self.metrics = ServerMetrics(models: [])
        self.growth = InstanceGrowth(open: !options.readyOnFirstInstance, cores: options.cores)
        self.sharedMemory = SharedMemoryRegistry(allowed: options.allowClientSharedMemory)
        self.tracing = RequestTracing(
            settings: options.trace, logger: logger, heldBytesLimit: RequestTracing.heldBytes,
            counters: options.trace.mode == .opentelemetry ? metrics.traceExportCounters() : nil)
        if let uploads = options.uploads { ModelUpload.sweep(uploads.directory) }
    }

    /// Starts opening the instances that models ready on their first left for later (see
    /// ``RepositoryOptions/readyOnFirstInstance``); versions loaded after this open theirs at once.
    /// The server calls it once it listens, so those openings do not delay readiness.
    public func openRemainingInstances() { growth.open() }

    /// A repository of already loaded models (each one version), for tests and embedders.
    public convenience init(models: [ServedModel], allowClientSharedMemory: Bool = false, trace: TraceSettings = TraceSettings()) {
        self.init(
            source: .files([]), options: RepositoryOptions(allowClientSharedMemory: allowClientSharedMemory, trace: trace),
            logger: Logger(label: "ledge.repository"))
        slots.withLock { slots in
            for model in models where slots[model.name] == nil {
                slots[model.name] = Slot(versions: [model.versionNumber: model])
            }
        }
        for model in models { metrics.register(model) }
    }

    /// Opens the models of `source` as `options.controlMode` says (every model, or in
    /// explicit mode the startup models), each with its selected versions. A model
    /// that fails is logged and listed UNAVAILABLE with the reason while the others
    /// load; when models were asked for and none loaded, the first failure is thrown.
    public static func load(_ source: ModelSource, options: RepositoryOptions, logger: Logger) throws -> ModelRepository {
        try options.batching?.validate()
        let repository = ModelRepository(source: source, options: options, logger: logger)
        let names = try repository.sourceNames()
        var wanted = names
        if options.controlMode == .explicit {
            wanted = options.startupModels.contains("*") ? names : options.startupModels
            for name in wanted where !names.contains(name) {
                throw LedgeError.usage(
                    "--load-model \(name): no model folder '\(name)' in the repository: expected one of \(names.joined(separator: ", "))")
            }
        }
        repository.changes.sync { repository.applyAll(wanted, log: false) }
        let snapshot = repository.slots.withLock { $0 }
        let failures = wanted.flatMap { name in
            snapshot[name].map { slot in
                ((slot.failure.map { [$0] } ?? []) + slot.failures.sorted { $0.key < $1.key }.map(\.value)).map { (name, $0) }
            } ?? []
        }
        if !wanted.isEmpty, !snapshot.values.contains(where: { !$0.versions.isEmpty }) {
            throw failures.first?.1 ?? LedgeError.invalidModel("no model could be loaded")
        }
        for (name, failure) in failures { logger.error("model '\(name)' not served: \(failure.message)") }
        return repository
    }

    /// The model called `name`: version `version` when given, else its highest ready version.
    /// Unknown names, versions and unloaded models are ``LedgeError/Code/notFound`` errors.
    public func model(named name: String, version: String? = nil) throws -> ServedModel {
        try Self.validate(name: name)
        guard let slot = slots.withLock({ $0[name] }), let latest = slot.latest else {
            throw LedgeError.unknownModel(name)
        }
        guard let version else { return latest }
        guard let number = Int(version), let model = slot.versions[number] else {
            let ready = slot.versions.keys.sorted().map(String.init).joined(separator: ", ")
            throw LedgeError.notFound("model '\(name)' has no version '\(version)': expected \(ready)")
        }
        return model
    }

    /// The highest ready version of every model, by name.
    public var models: [String: ServedModel] {
        slots.withLock { $0.compactMapValues(\.latest) }
    }

    /// Every ready version of the model called `name`, highest first.
    public func versions(of name: String) -> [ServedModel] {
        slots.withLock { $0[name]?.versions.sorted { $0.key > $1.key }.map(\.value) ?? [] }
    }

    /// Names of the models with a ready version, in order.
    public var names: [String] { models.keys.sorted() }

    /// The server is ready when a model is loaded and it is not shutting down: HTTP's
    /// `/v2/health/ready`, gRPC's ServerReady and the gRPC health service all answer by it.
    public var isReady: Bool { !draining.load(ordering: .relaxed) && !models.isEmpty }

    /// From now on the server is not ready (graceful shutdown has begun: load balancers and
    /// Kubernetes stop sending it requests while the ones in flight finish), as Triton's while it exits.
    /// No instance opens any more: one opened now would only hold the exit.
    public func beginDraining() {
        draining.store(true, ordering: .relaxed)
        growth.close()
    }

    /// Waits, at most `timeout`, until no instance is opening; whether none is. The process must
    /// not exit while a thread is inside a runtime (its static objects would be destroyed under it:
    /// a SIGSEGV when SIGTERM came while instances opened).
    public func waitForOpenings(timeout: Duration) -> Bool { growth.waitForOpenings(timeout: timeout) }

    /// Waits, at most `timeout`, until no run is under way on any instance of a ready version;
    /// whether none is. After ``interruptRuns(reason:)`` their callers have their answer, but a kernel
    /// the runtime cannot stop still runs, and the process must not exit under it.
    public func waitForRuns(timeout: Duration) -> Bool {
        let pools = slots.withLock { $0.values.flatMap { $0.versions.values.map(\.pool) } }
        return waitUntil(timeout: timeout) { pools.allSatisfy { $0.counters.running == 0 } }
    }

    /// Interrupts the runs under way on every instance of every ready version (and of those still
    /// joining) and refuses later ones, each failing with `reason` (``SessionPool/interrupt(reason:)``):
    /// for the exit timeout, so that a long run does not hold the process. Returns how many runs were under way.
    @discardableResult
    public func interruptRuns(reason: String) -> Int {
        let served = slots.withLock { $0.values.flatMap { $0.versions.values } }
        return served.reduce(0) { $0 + $1.pool.interrupt(reason: reason) }
    }

    /// Checks that a model name in a URL is one path segment of safe characters.
    public static func validate(name: String) throws {
        if let message = RepositoryLayout.problem(name: name, what: "model name") { throw LedgeError.invalidInput(message) }
    }
}
