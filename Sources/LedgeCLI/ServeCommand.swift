internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Hummingbird
internal import LedgeCore
internal import LedgeEngine
internal import LedgeFetch
internal import LedgeGRPC
internal import LedgeServer
internal import LedgeServing
internal import Logging

/// `ledge serve`: the Open Inference Protocol (KServe V2) over HTTP, plus an
/// image endpoint, for one model file or a folder of models.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models with the Open Inference Protocol (KServe V2) over HTTP and gRPC, and an image endpoint.",
        discussion: """
            Endpoints: GET /v2/health/live, /v2/health/ready, /v2, /v2/models/NAME[/versions/1][/ready]; \
            POST /v2/models/NAME/infer (JSON or the binary tensor data extension) and \
            POST /v2/models/NAME/classify?top_k=K with an image/jpeg, image/png or multipart/form-data body; \
            POST /v2/repository/index; a web page at / to classify a photo in the browser. \
            A model's image input also takes JPEG or PNG files as BYTES [N] (binary data, gRPC contents, or base64 \
            with parameters.content_type "base64"), decoded as classify decodes them. \
            KServe's v1 protocol (TensorFlow Serving's REST API): GET /v1/models[/NAME[/metadata]], \
            POST /v1/models/NAME[/versions/V]:predict with {"instances": …} or {"inputs": …} ({"b64": …} for an image file). Seldon Core v1: POST /api/v1.0/predictions. \
            gRPC (--grpc-port): inference.GRPCInferenceService as Triton serves it (ServerLive, ServerReady, \
            ModelReady, ServerMetadata, ModelMetadata, ModelConfig, ModelInfer, ModelStreamInfer, ModelStatistics, \
            LogSettings, RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload, SystemSharedMemory*), grpc.health.v1.Health \
            and server reflection (grpcurl list; --no-grpc-reflection) over the same \
            models, queue and metrics. Triton's statistics, logging and (--allow-client-shm) shared-memory extensions. \
            GET /metrics: Prometheus text format. Every request gets an id (a sane X-Request-Id header or a \
            generated one), echoed in X-Request-Id and logged as request_id with one access line at info level. \
            SIGTERM or SIGINT stops accepting connections, finishes requests in flight and exits 0. \
            Readiness, once the models are loaded and the server listens: --ready-file, and systemd's \
            NOTIFY_SOCKET when set (READY=1, then STOPPING=1 when shutdown begins; for Type=notify units).
            """)

    @OptionGroup(title: "Models") var models: ModelOptions

    @OptionGroup(title: "Model URIs") var modelURIs: ModelURIOptions

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The TCP port (0 picks a free one).")
    var port = 8000

    @Option(
        name: .customLong("grpc-port"),
        help: ArgumentHelp("The gRPC port (0 picks a free one; default 8001, or 0 with --port 0).", valueName: "port"))
    var grpcPort: Int?

    @Flag(name: .customLong("no-grpc"), help: "Serve HTTP only.")
    var noGRPC = false

    @Flag(
        name: .customLong("no-grpc-reflection"),
        help: "Do not answer gRPC server reflection (what grpcurl's list and describe ask; it follows --auth-token like ServerMetadata).")
    var noGRPCReflection = false

    @Flag(
        name: .customLong("reuse-port"),
        help: """
            Share the port with other 'ledge serve --reuse-port' (SO_REUSEPORT), new connections going to the newest: \
            a replacement starts while the old server runs, then the old one stops, and no connection is refused or reset.
            """)
    var reusePort = false

    @Flag(
        name: .customLong("allow-client-shm"),
        help: """
            Let clients register system shared memory regions (Triton's shared-memory extension, /v2/systemsharedmemory and \
            gRPC SystemSharedMemory*) and pass tensors through them: for clients on this machine. Off by default, as in \
            Triton: a client that may register a key may read any shared memory object this user can open.
            """)
    var allowClientSharedMemory = false

    @Option(
        name: .customLong("ready-file"),
        help: ArgumentHelp(
            "Removed at start; written (the process id on one line) once the models are loaded and the server listens; removed at shutdown.",
            valueName: "path"))
    var readyFile: String?

    @Option(
        help: ArgumentHelp(
            "Sessions per model (with --threads T: default cores ÷ T; alone: each with cores ÷ N threads).",
            discussion: """
                With neither --instances nor --threads, each model gets one 1-thread session per core plus one \
                session with a thread per core: a request that finds the model idle runs on every core, and \
                concurrent requests run one per core, never more threads at once than cores. A model is \
                ready once its first session is open (a 1-thread one); the others open after it, the \
                all-core one first, and join.
                """))
    var instances: Int?

    @Option(
        name: .customLong("model-control-mode"),
        help: """
            none: load every model at start, change nothing while serving; poll: also look at the repository every \
            --repository-poll-secs and load new, reload changed (checked in a child process first) and unload removed \
            models and versions; explicit: load only --load-model models, then POST /v2/repository/models/NAME/load|unload.
            """)
    var modelControlMode = ModelControlOption.none

    @Option(name: .customLong("repository-poll-secs"), help: "Seconds between looks at the repository in poll mode.")
    var repositoryPollSecs: Double = 15

    @Option(
        name: .customLong("load-model"),
        help: ArgumentHelp("With --model-control-mode explicit: a model to load at start ('*': all); repeatable.", valueName: "name"))
    var loadModels: [String] = []

    @Option(name: .customLong("max-body-size"), help: "The largest request body in bytes.")
    var maxBodySize = 64 << 20

    @Option(name: .customLong("queue-limit"), help: "Requests that may wait for a busy model before 503.")
    var queueLimit = 64

    @Option(
        name: .customLong("queue-timeout-us"),
        help: ArgumentHelp(
            "Microseconds a request may wait for a busy model before 503 (0: no limit).",
            discussion: "For models without a default_queue_policy in their config.pbtxt; a request's shorter timeout parameter counts."))
    var queueTimeoutMicroseconds = 0

    @Option(
        name: .customLong("heap-release-idle-secs"),
        help: ArgumentHelp(
            "Seconds without a finished inference request after which the memory requests freed is given back to the system (0: never).",
            discussion: "Once per burst of requests, when it is over: a request that comes during the release waits for it (a millisecond or so)."))
    var heapReleaseIdleSecs: Double = 1

    @Option(name: .customLong("log-level"), help: "The lowest level logged.")
    var logLevel = Logger.Level.info

    @Option(name: .customLong("log-format"), help: "How lines are written: text is 'level: message key=value…', json one JSON object per line.")
    var logFormat = LogFormat.text

    @OptionGroup(title: "Dynamic batching") var batching: BatchingOptions

    @OptionGroup(title: "Client limits") var limits: ServerLimitOptions

    @OptionGroup(title: "Network safety") var security: SecurityOptions

    @OptionGroup(title: "gRPC transport") var grpcTransport: GRPCTransportOptions

    @OptionGroup(title: "Model probe and caches") var probe: ProbeOptions

    @OptionGroup(title: "Images") var decode: DecodeOptions

    @OptionGroup(title: "Tracing") var trace: TraceOptions

    @OptionGroup(title: "Metrics export") var metricsExport: MetricsExportOptions

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if models.isEmpty && modelURIs.isEmpty {
            throw ValidationError("give either --model PATH (repeatable), --model-repository DIR or --model-uri URI")
        }
        if models.modelRepository != nil && !modelURIs.isEmpty {
            throw ValidationError(
                "--model-uri serves fetched models beside --model files, not beside --model-repository: put the URI in the model's config.pbtxt (parameters uri)"
            )
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        if let grpcPort, !(0...65535).contains(grpcPort) {
            throw ValidationError("--grpc-port must be between 0 and 65535, got \(grpcPort)")
        }
        if noGRPC, grpcPort != nil { throw ValidationError("--grpc-port and --no-grpc go against each other: give one") }
        if noGRPC, noGRPCReflection { throw ValidationError("--no-grpc-reflection is for the gRPC server, which --no-grpc turns off: give one") }
        if noGRPC, let flag = grpcTransport.given.first {
            throw ValidationError("\(flag) is for the gRPC server, which --no-grpc turns off: give one")
        }
        if grpcPort == nil, !noGRPC, port == 8001 {
            throw ValidationError("--port 8001 is the default gRPC port: give --grpc-port PORT or --no-grpc")
        }
        if let grpcPort, grpcPort != 0, grpcPort == port {
            throw ValidationError("--grpc-port \(grpcPort) is also --port: expected another port for gRPC")
        }
        if let instances, instances < 1 || instances > 64 {
            throw ValidationError("--instances must be between 1 and 64, got \(instances)")
        }
        if maxBodySize < 1 { throw ValidationError("--max-body-size must be at least 1, got \(maxBodySize)") }
        if queueLimit < 0 { throw ValidationError("--queue-limit must be at least 0, got \(queueLimit)") }
        if !(0...InferenceRequest.maxTimeoutMicroseconds).contains(queueTimeoutMicroseconds) {
            throw ValidationError(
                "--queue-timeout-us must be from 0 to \(InferenceRequest.maxTimeoutMicroseconds) (1 h), got \(queueTimeoutMicroseconds)")
        }
        if !(repositoryPollSecs > 0 && repositoryPollSecs <= 86400) {
            throw ValidationError("--repository-poll-secs must be more than 0 and at most 86400, got \(repositoryPollSecs)")
        }
        if !(heapReleaseIdleSecs == 0 || (0.01...86400).contains(heapReleaseIdleSecs)) {
            throw ValidationError("--heap-release-idle-secs must be 0 (never) or from 0.01 to 86400, got \(heapReleaseIdleSecs)")
        }
        if !loadModels.isEmpty && modelControlMode != .explicit {
            throw ValidationError("--load-model needs --model-control-mode explicit (the \(modelControlMode.rawValue) mode loads every model)")
        }
    }

    func run() async throws {
        let level: Logger.Level = runtime.verbose ? .debug : logLevel
        let json = logFormat == .json
        let logSettings = LogSettings(level: level, format: json ? "json" : "default")  // POST /v2/logging changes it
        // Lines go out on a thread of their own: a reader that stops reading stderr must not stop the server.
        let lines = BackgroundLineWriter.standardError
        defer { lines.flush() }
        let logger = Logger(label: "ledge.serve") { label -> any LogHandler in
            if json { return JSONLogHandler(label: label, logLevel: level, shared: logSettings, write: lines.write) }
            return ConsoleLogHandler(logLevel: level, shared: logSettings, write: lines.write)
        }
        // One count of connections for both ports, below the open-file limit; checked before any model loads.
        let (budget, budgetNote) = try ConnectionBudget.forProcess(requested: limits.limits.maxConnections)
        if let budgetNote { logger.warning("\(budgetNote)") }
        let network = try security.settings(environment: ProcessInfo.processInfo.environment)
        let refresh = await security.refresh(network, logger: logger)
        var engine = runtime.engineOptions
        engine.onnxGraphCache = probe.graphs.graphCache
        engine.xnnpackCache = probe.graphs.weightCache.map {
            var cache = $0
            cache.mapsModelCopies = true  // a server's model bytes leave its resident memory once compiled
            return cache
        }
        let plan = InstancePlan(
            instances: instances, threads: engine.session.threads, configInstances: nil, configThreads: nil,
            cores: InstancePlan.machineCores)
        let fetched = try await modelURIs.modelFiles(logger: logger)
        // A repository in S3 or Cloud Storage is served from a mirror in the cache, synced before each poll and explicit load.
        let mirror = try models.modelRepository.flatMap { uri in
            RepositoryMirror.isStore(uri)
                ? try RepositoryMirror(uri: uri, cacheDirectory: FetchOptions(cacheDirectory: modelURIs.modelCache).cacheDirectory, logger: logger)
                : nil
        }
        if let mirror { try await mirror.sync() }
        let source: ModelSource =
            if let repository = mirror?.folder ?? models.modelRepository { .repository(path: repository) } else {
                .files((models.files + fetched).map { ModelFileSource(path: $0.path, name: $0.name) })
            }
        CrashGuard.watch("ledge serve")
        let readiness = try ServeReadiness(
            readyFile: readyFile, notifySocket: ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], logger: logger)
        // Loaded (and probed) before the server binds: it accepts nothing until the models are ready.
        let repository = try ModelRepository.load(
            source,
            options: RepositoryOptions(
                engine: engine, instances: instances, queueLimit: queueLimit,
                probe: probe.probe(engine: engine), controlMode: modelControlMode.mode,
                pollInterval: .milliseconds(Int64((repositoryPollSecs * 1000).rounded())), startupModels: loadModels,
                batching: batching.policy, fetchURI: modelURIs.blockingFetch(logger: logger),
                exactDecode: decode.exactDecode, readyOnFirstInstance: true, allowClientSharedMemory: allowClientSharedMemory,
                trace: try trace.settings(), refreshSource: Self.syncing(mirror, logger: logger),
                queueTimeout: queueTimeoutMicroseconds > 0 ? queueTimeoutMicroseconds : nil,
                uploads: UploadSettings(
                    directory: FetchOptions(cacheDirectory: modelURIs.modelCache).cacheDirectory + "/uploads", maxBytes: maxBodySize)),
            logger: logger)
        defer { repository.removeUploads() }  // files sent with loads are not kept across runs
        let host = self.host
        let names = repository.names
        let scheme = network.scheme
        var grpcConfiguration = GRPCConfiguration(
            host: host, port: grpcPort ?? (port == 0 ? 0 : 8001), maxReceiveMessageSize: maxBodySize, version: LedgeVersion.current,
            access: network.access,
            tls: network.tls.map {
                GRPCTLS(credentials: $0.credentials, clientCAPEM: $0.clientTrust?.pemBytes, verifyClient: $0.clientTrust?.verify)
            },
            reusePort: reusePort, idleTimeout: limits.limits.idleTimeout, waitsForHTTP: true, logSettings: logSettings,
            reflection: !noGRPCReflection, exitTimeout: limits.limits.exitTimeout)
        grpcTransport.apply(to: &grpcConfiguration)
        grpcConfiguration.connectionBudget = budget
        let grpc = noGRPC ? nil : try GRPCInferenceServer(configuration: grpcConfiguration, repository: repository, logger: logger)
        let (exitTimeout, exitDeadline) = (limits.exitTimeout, limits.limits.exitTimeout)
        var configuration = ServerConfiguration(
            host: host, port: port, maxBodySize: maxBodySize, version: LedgeVersion.current, limits: limits.limits,
            reusePort: reusePort,
            onServerRunning: { port in
                // Ready once both servers listen; a gRPC server that cannot listen fails the group instead.
                var grpcPart = ""
                if let grpc {
                    grpc.allowListening()  // only now: a failed HTTP bind stops the group before gRPC listens
                    guard let grpcPort = try? await grpc.port else { return }
                    grpcPart = "; gRPC \(host.contains(":") ? "[\(host)]" : host):\(grpcPort)"
                }
                readiness.ready()
                repository.openRemainingInstances()
                let shown = host.contains(":") ? "[\(host)]" : host
                let plans = InstancePlan.describe(repository.models.sorted { $0.key < $1.key }.map { ($0.key, $0.value.plan) }, standard: plan)
                let line =
                    "ledge serve: \(names.isEmpty ? "no model loaded yet" : names.joined(separator: ", ")) on \(scheme)://\(shown):\(port)/v2 (\(plans)); web page \(scheme)://\(shown):\(port)/\(grpcPart)\n"
                StandardStreams.writeOutput(line)
            },
            onShutdown: {
                // The HTTP server drains first (ServerGroup): gRPC stops taking calls at the same time.
                readiness.stopping()
                repository.beginDraining()
                grpc?.beginGracefulShutdown()
                logger.notice(
                    "shutting down: not ready, no new connections; requests, calls and streams in flight get \(cFormat("%g", exitTimeout)) s to finish"
                )
                // Whatever no one can stop ends the process 3 s after the exit timeout (the group cancels after 1 s).
                ExitWatchdog.start(after: exitDeadline + .seconds(3), exitTimeout: cFormat("%g", exitTimeout), logger: logger) {
                    lines.flush(timeout: .seconds(1))
                }
                // ServerGroup cancels what is still open then; the process is usually gone before this wakes.
                Task {
                    try await Task.sleep(for: exitDeadline)
                    // The runs, and the gRPC calls still open, fail with the words the connections' 503 carries.
                    let reason = ServerError.exitTimeoutPassed(seconds: exitTimeout).message
                    let running = repository.interruptRuns(reason: reason)
                    let runs = running == 0 ? "" : ", and interrupting \(running) model run\(running == 1 ? "" : "s") under way"
                    logger.warning(
                        "exit timeout of \(cFormat("%g", exitTimeout)) s passed: closing the requests, calls and connections still open\(runs)")
                    // A stream's request whose run was interrupted is answered (its error) before the stream ends.
                    // (The process may be gone by then: the interrupted requests were its last.)
                    try? await Task.sleep(for: .milliseconds(100))
                    grpc?.exitTimeoutPassed(reason: reason)
                }
            }, access: network.access, tls: network.tls, logSettings: logSettings)
        configuration.connectionBudget = budget
        let app = buildApplication(configuration: configuration, repository: repository, logger: logger)
        defer { readiness.stopping() }
        // No thread may be inside a runtime as the process exits (instances open after ready).
        defer { _ = repository.waitForOpenings(timeout: .seconds(60)) }
        // Nor under a run the runtime could not stop (its caller was answered at the exit timeout);
        // ExitWatchdog ends the process 3 s after the exit timeout whatever still runs.
        defer { _ = repository.waitForRuns(timeout: .seconds(60)) }
        let polling = Task { await repository.runPolling() }
        defer { polling.cancel() }
        let idle = Duration.seconds(heapReleaseIdleSecs)
        let heapRelease = heapReleaseIdleSecs > 0 ? Task { await repository.runIdleHeapRelease(after: idle) } : nil
        defer { heapRelease?.cancel() }
        defer { repository.tracing.flush() }  // the traces held until shutdown (log_frequency 0)
        let metricsExporter = try metricsExport.settings().flatMap { settings in
            OTLPMetricsExporter(settings: settings, version: LedgeVersion.current, logger: logger) { repository.metrics.exposition() }
        }
        defer { metricsExporter?.shutdown() }  // one last export, after the last request
        try await ServerGroup.run(
            app, with: grpc.map { [$0] } ?? [], refresh: refresh, exitTimeout: exitDeadline, logger: logger)
    }
}

/// `--model-control-mode`, as the library's ``ModelControlMode``.
enum ModelControlOption: String, ExpressibleByArgument, CaseIterable {
    case none, poll, explicit

    var mode: ModelControlMode { ModelControlMode(rawValue: rawValue) ?? .none }
}

extension ServeCommand {
    /// Syncs `mirror` (a repository kept in S3 or Cloud Storage) before each poll and explicit load; a failure is
    /// logged and the mirror keeps what it held, so the models serving go on serving.
    static func syncing(_ mirror: RepositoryMirror?, logger: Logger) -> (@Sendable () async -> Void)? {
        guard let mirror else { return nil }
        return {
            do {
                try await mirror.sync()
            } catch {
                logger.error("model repository not synced: \((error as? LedgeError)?.message ?? "\(error)")")
            }
        }
    }
}
