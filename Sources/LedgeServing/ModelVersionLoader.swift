internal import CLedgeProcess
internal import Dispatch
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine
internal import LedgeVision
internal import Logging
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// Loads one version of a model: probe it in a child process, open its
/// instances, complete its configuration from the model. Blocking work: the
/// repository runs it on its own queue, never on Swift's cooperative pool.
struct ModelVersionLoader: Sendable {
    let options: RepositoryOptions
    let logger: Logger
    /// Where the instances left for after ready wait to open.
    let growth: InstanceGrowth

    /// The identity of the files a version is loaded from: a change to any of them means a reload.
    static func fileKey(model: String, labels: String?, configText: String?) -> String {
        var key = identity(model)
        if let labels { key += "|" + identity(labels) }
        if let configText { key += "|config:" + String(configText.hashValue) }
        return key
    }

    private static func identity(_ path: String) -> String { PathName.fingerprint(path) }

    /// Version `number` of model `name` from `path`, with `config` (from config.pbtxt at
    /// `configPath`, `nil` without one; or from `configSource`, a load request's) completed
    /// from the model and checked against it.
    func load(
        name: String, number: Int, path: String, labels: String?, config: ModelConfig?, configPath: String?, fileKey: String,
        configSource: String? = nil
    ) throws -> ServedModel {
        let file = try ModelFile(path: path)  // read once: the probe's cache key and the instances use its bytes
        var config = config
        for index in config?.instanceGroups.indices ?? 0..<0 where config?.instanceGroups[index].countGiven == false {
            config?.instanceGroups[index] = InstanceGroupConfig(count: InstanceGroupConfig.defaultCount(for: file.format))
        }
        let plan = InstancePlan(
            instances: options.instances, threads: options.engine.session.threads, configInstances: config?.instanceCount,
            configThreads: config?.threads, cores: options.cores)
        var engine = options.engine
        engine.session.threads = plan.threads
        if file.format == .onnx, let config { engine.session.onnxRuntime = config.onnxRuntimeSettings }
        // A file that crashes, hangs or exhausts a runtime does it in a child process, not here.
        if var probe = options.probe {
            probe.engine = engine
            try probe.check(file: file, logger: logger)
        }
        // The narrow instances, then the wide one. Ready on the first: a one-thread instance
        // starts no thread pool, whose threads would spin beside the other models' loads.
        let planned =
            [Int](repeating: plan.threads, count: plan.count).enumerated().map { (index: $0.offset, threads: $0.element) }
            + (plan.wideThreads.map { [(index: plan.count, threads: $0)] } ?? [])
        var instanceEngine = engine
        instanceEngine.session.sharesMemory = true  // instances of one model share ONNX Runtime's arena
        instanceEngine.sharesWeights = planned.count > 1  // and, when there are several, one copy of the weights
        let opener = InstanceOpener(file: file, options: instanceEngine, config: config, logger: logger)
        let now = options.readyOnFirstInstance ? 1 : planned.count
        let all = try opener.open(Array(planned.prefix(now))).map { try $0.get() }
        let later = Array(planned.dropFirst(now))
        let wideLater = plan.wideThreads != nil && !later.isEmpty
        let wide = plan.wideThreads != nil && !wideLater ? all.last : nil
        let instances = Array(all.prefix(plan.count))
        // The model's own tensors: its config is completed and checked against them.
        let opened = (all[0].session as? ConfiguredSession)?.base.info ?? all[0].session.info
        var effective = try (config ?? ModelConfig()).completed(for: opened, format: file.format, file: configSource ?? configPath)
        // What the model is served as: the config's sizes where the model's are dynamic.
        let info = effective.narrowing(opened)
        // The image pipeline (preprocessing, labels, top-k) is the model's, shared by its instances.
        let pipeline = Result {
            try ImagePipeline(info: info, options: ClassifierOptions(labelsPath: labels, exactDecode: options.exactDecode))
        }
        let source = configSource ?? configPath ?? path
        // The name it is served under (its folder's, or --name) is the one the completed config shows.
        if let given = effective.name, !given.isEmpty, given != name {
            logger.warning("\(source): name '\(TextProto.printable(given))' is not the model's: it is served as '\(name)'")
        }
        effective.name = name
        /// Warns of settings of the config the model is served without (`count` of them).
        func servedWithout(_ what: String, count: Int = 1) {
            logger.warning("\(source): \(what): model '\(name)' is served without \(count == 1 ? "it" : "them")")
        }
        func quoted(_ keys: [String]) -> String { keys.map { "'\(TextProto.printable($0))'" }.joined(separator: ", ") }
        let keys = effective.unreadParameterKeys(for: file.format)
        // ONNX Runtime's settings on another model are said as the graph level is.
        let onnxOnly = keys.filter(ModelConfig.onnxRuntimeParameterKeys.contains)
        let unread = keys.filter { !onnxOnly.contains($0) }
        if !onnxOnly.isEmpty { servedWithout("parameters \(quoted(onnxOnly)) apply to ONNX models", count: onnxOnly.count) }
        if !unread.isEmpty {
            servedWithout("parameters \(quoted(unread)) \(unread.count == 1 ? "is" : "are") not read by ledge", count: unread.count)
        }
        if file.format != .onnx, effective.graphLevel != nil { servedWithout("optimization.graph.level applies to ONNX models") }
        // As Triton completes it: the instances the model runs on (the adaptive plan's wide one counted).
        if effective.instanceGroups.isEmpty { effective.instanceGroups = [InstanceGroupConfig(count: plan.total)] }
        // config.pbtxt's model_warmup: run on each instance before it serves (these before ready, the later ones before they join).
        let warmup = try ModelWarmup(
            config: effective, info: info, folder: PathName.appending("warmup", to: PathName.deletingLastComponent(configPath ?? path)),
            configPath: source)
        if !warmup.isEmpty {
            let started = ContinuousClock.now
            for instance in all { try warmup.run(on: instance) }
            logger.info(
                "model '\(name)' version \(number): model_warmup \(warmup.summary) run on \(all.count) instance\(all.count == 1 ? "" : "s") in \(Int((ContinuousClock.now - started) / .milliseconds(1))) ms"
            )
        }
        // default_queue_policy's max_queue_size (0: the server's --queue-limit).
        let queueLimit = effective.dynamicBatching?.queuePolicy.flatMap { $0.maxQueueSize > 0 ? $0.maxQueueSize : nil } ?? options.queueLimit
        let pool = SessionPool(
            modelName: name, instances: instances, wide: wide, queueLimit: queueLimit,
            expecting: later.filter { $0.index < plan.count }.map(\.threads), expectingWide: wideLater)
        // config.pbtxt's dynamic_batching (with its max_batch_size), else the server's --max-batch-size.
        var policy = options.batching
        if let batching = effective.dynamicBatching {
            policy = BatchingPolicy(
                maxBatchSize: max(effective.maxBatchSize, 1), preferredBatchSizes: batching.preferredBatchSizes,
                maxQueueDelay: .microseconds(batching.maxQueueDelayMicroseconds))
            try policy?.validate()
        } else if config?.declaredMaxBatchSize == 0 {
            policy = nil
        }
        let batcher = DynamicBatcher.forModel(
            named: name, info: info, pool: pool, policy: policy, queueLimit: queueLimit,
            levelLimits: effective.dynamicBatching?.priorities?.queuePolicies.compactMapValues { $0.maxQueueSize > 0 ? $0.maxQueueSize : nil } ?? [:],
            logger: logger)
        if let batcher, effective.dynamicBatching == nil {
            effective.dynamicBatching = DynamicBatchingConfig(
                preferredBatchSizes: batcher.policy.preferredBatchSizes,
                maxQueueDelayMicroseconds: Int(batcher.policy.maxQueueDelay / .microseconds(1)))
        }
        let tuning = engine.session.onnxRuntime.summary
        let settings = file.format == .onnx && !tuning.isEmpty ? "; ONNX Runtime: \(tuning)" : ""
        if later.isEmpty {
            logger.info("loaded model '\(name)' version \(number) from \(path): \(plan.summary)\(settings)")
            Self.releaseFreeHeap(after: "model '\(name)' version \(number)", logger: logger)
        } else {
            logger.info(
                "loaded model '\(name)' version \(number) from \(path): \(plan.summary)\(settings), ready on the first; \(later.count) more opening")
            growth.submit { [weak pool] in
                let started = ContinuousClock.now
                // The wide one first; each joins the pool as it opens.
                _ = DedicatedThread.runAll(
                    later.reversed().map { instance in
                        { [weak pool] in
                            let result = growth.opening {
                                opener.open(index: instance.index, threads: instance.threads).flatMap { opened in
                                    Result { try warmup.run(on: opened) }.map { opened }
                                }
                            }
                            guard let pool else { return }  // unloaded meanwhile: the new instance closes here
                            guard let result else { return pool.abandon() }  // the server is shutting down
                            switch result {
                            case .success(let opened): pool.add(opened, wide: instance.index == plan.count)
                            case .failure(let error):
                                pool.abandon()
                                logger.error(
                                    "model '\(name)' version \(number): an instance did not open, serving on fewer: \((error as? LedgeError)?.message ?? String(describing: error))"
                                )
                            }
                        }
                    })
                guard let pool else { return }
                logger.info(
                    "model '\(name)' version \(number): \(pool.instances.count) instances open in \(Int((ContinuousClock.now - started) / .milliseconds(1))) ms"
                )
                Self.releaseFreeHeap(after: "model '\(name)' version \(number)", logger: logger)
            }
        }
        return ServedModel(
            name: name, version: String(number), info: info, pool: pool,
            labels: try (try? pipeline.get())?.labels ?? labels.map { try Labels.load(path: $0) },
            config: effective, batcher: batcher, fileKey: fileKey,
            imagePipeline: try? pipeline.get(), imagePipelineError: Self.reason(pipeline),
            queuePolicy: effective.dynamicBatching?.queuePolicy
                ?? options.queueTimeout.map { QueuePolicyConfig(defaultTimeoutMicroseconds: $0, allowTimeoutOverride: true) },
            batchLimit: config?.declaredMaxBatchSize.flatMap { $0 > 0 ? $0 : nil }, priorities: effective.dynamicBatching?.priorities,
            plan: plan)
    }

    /// One drop of the process's code pages at a time: two loads that finish together walk the
    /// mappings one after the other, and a test that looks at a mapping's pages holds it.
    package static let codePageDrops = Mutex(())

    /// Gives what the instances' loads freed back to the system (``ledge_release_free_heap``):
    /// for mobilenet_gen.onnx's three instances, 229 MB resident after the load, 108 MB after it.
    /// Then unmaps the code pages (``ledge_drop_file_text_pages``): those the server runs come
    /// back as it runs them, those it ran only to start and load stop counting in its memory.
    static func releaseFreeHeap(after what: String, logger: Logger) {
        let returned = ledge_release_free_heap() == 1
        let dropped = codePageDrops.withLock { _ in ledge_drop_file_text_pages() }
        logger.debug(
            "\(what): instances open; \(returned ? "freed heap returned" : "no freed heap to return") to the system; \(max(dropped, 0) >> 20) MB of code unmapped"
        )
    }

    /// Why the model has no image pipeline, as clients of the image endpoint are told; `nil` when it has one.
    private static func reason(_ pipeline: Result<ImagePipeline, any Error>) -> String? {
        guard case .failure(let error) = pipeline else { return nil }
        return (error as? LedgeError)?.message ?? String(describing: error)
    }
}

/// Opens instances of one model file, side by side.
private struct InstanceOpener: Sendable {
    let file: ModelFile
    let options: EngineOptions
    /// config.pbtxt: each session is served as it says (``ConfiguredSession``).
    let config: ModelConfig?
    let logger: Logger

    /// One instance per (index, threads), each on a thread of its own.
    func open(_ instances: [(index: Int, threads: Int)]) -> [Result<ModelInstance, any Error>] {
        DedicatedThread.runAll(instances.map { instance in { open(index: instance.index, threads: instance.threads) } })
    }

    /// One instance of `threads` intra-op threads; `index` names its thread.
    func open(index: Int, threads: Int) -> Result<ModelInstance, any Error> {
        Result {
            var sessionOptions = options
            sessionOptions.session.threads = threads
            let session = try ModelLoader.open(file: file, options: sessionOptions, logger: logger)
            return ModelInstance(session: ConfiguredSession.wrap(session, config: config), threads: threads, index: index)
        }
    }
}
