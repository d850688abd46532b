internal import LedgeCore
package import Metrics
internal import Synchronization

/// The server's Prometheus metrics (Triton's `nv_inference_*` with a `ledge_`
/// prefix), per model (labels `model` and `version`; one version per name for now). Each server owns one, with its own registry.
public final class ServerMetrics: Sendable {
    /// Every metric family and its `# HELP` text.
    package static let help: [String: String] = [
        "ledge_inference_request_success_total": "Inference requests (infer and classify) that succeeded, by protocol (http, grpc)",
        "ledge_inference_request_failure_total":
            "Inference requests that failed, by protocol and reason: client (HTTP 4xx; gRPC INVALID_ARGUMENT, NOT_FOUND, ...), busy (queue full: HTTP 503, gRPC UNAVAILABLE), server (other)",
        "ledge_inference_count_total": "Inferences performed: batch items (the first dimension of the first input; 1 per classified image)",
        "ledge_inference_exec_count_total": "Model executions (session runs; a dynamic batch is one)",
        "ledge_inference_batch_size": "Items per model execution: the dynamic batch's size, else the request's first dimension",
        "ledge_inference_queue_duration_seconds": "Time a request waited for a free model instance",
        "ledge_inference_compute_input_duration_seconds": "Image decode and preprocessing time of classify requests",
        "ledge_inference_compute_infer_duration_seconds": "Model execution (session run) time",
        "ledge_inference_request_duration_seconds": "Whole request time of successful inference requests, from routing to response, by protocol",
        "ledge_model_instances": "Loaded instances (sessions) of the model",
        "ledge_inference_pending_request_count": "Requests waiting in the model's queue for a free instance",
        "ledge_inference_requests_in_flight": "Inference requests of the model being handled now (waiting or executing)",
        "ledge_model_file_bytes": "Size of the model file in bytes",
        "ledge_trace_spans_exported_total": "Spans the OpenTelemetry exporter delivered to the collector (--trace-config mode=opentelemetry)",
        "ledge_trace_spans_dropped_total":
            "Spans not delivered, by reason: queue_full (more than bsp_max_queue_size waited), export_failed (the collector could not be reached or refused them)",
    ]

    private let registry = MetricsRegistry(
        help: ServerMetrics.help.merging(ProcessMetrics.help) { first, _ in first },
        buckets: ["ledge_inference_batch_size": [1, 2, 4, 8, 16, 32, 64]])
    /// The process's and the machine's CPU and memory, sampled at each exposition.
    private let process: ProcessMetrics
    /// By model name, then version.
    private let models = Mutex<[String: [String: ModelMetrics]]>([:])

    /// Metrics for `models`, registered with zero counts.
    public init(models: some Sequence<ServedModel>) {
        process = ProcessMetrics(factory: registry.factory)
        for model in models { register(model) }
    }

    /// The OpenTelemetry exporter's counts (registered only when asked for: in that trace mode).
    package func traceExportCounters() -> TraceExportCounters {
        let dropped = { (reason: String) in
            Counter(label: "ledge_trace_spans_dropped_total", dimensions: [("reason", reason)], factory: self.registry.factory)
        }
        return TraceExportCounters(
            exported: Counter(label: "ledge_trace_spans_exported_total", factory: registry.factory), queueFull: dropped("queue_full"),
            exportFailed: dropped("export_failed"))
    }

    /// Starts reporting `model`.
    public func register(_ model: ServedModel) {
        let metrics = ModelMetrics(model, factory: registry.factory)
        models.withLock { $0[model.name, default: [:]][model.version] = metrics }
    }

    /// Stops reporting `model` as loaded (its counters stay: Prometheus counters only grow).
    public func unregister(_ model: ServedModel) {
        let metrics = models.withLock { models -> ModelMetrics? in
            guard let metrics = models[model.name]?[model.version], metrics.modelID == ObjectIdentifier(model) else { return nil }
            models[model.name]?[model.version] = nil
            return metrics
        }
        metrics?.instances.set(0)
        metrics?.pending.set(0)
    }

    /// The metrics of version `version` of the model called `name` (its highest when `nil`), `nil` when not registered.
    package func model(_ name: String, version: String? = nil) -> ModelMetrics? {
        models.withLock { models in
            guard let versions = models[name] else { return nil }
            if let version { return versions[version] }
            return versions.max { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }?.value
        }
    }

    /// The Prometheus text exposition of every metric, sampled gauges updated.
    public func exposition() -> [UInt8] {
        for metrics in models.withLock({ $0.values.flatMap(\.values) }) {
            metrics.pending.set(metrics.waiting())
            metrics.instances.set(metrics.instanceCount())
        }
        process.sample()
        return registry.exposition()
    }
}

/// The metrics of one model version.
package final class ModelMetrics: Sendable {
    /// Requests waiting for an instance of the model now (0 once it is freed).
    package let waiting: @Sendable () -> Int
    /// Instances of the model open now (they may still be opening after it became ready).
    package let instanceCount: @Sendable () -> Int
    /// The served model these metrics are for.
    package let modelID: ObjectIdentifier
    /// Request outcomes over HTTP and over gRPC.
    package let http: RequestCounters
    package let grpc: RequestCounters
    package let inferences: Counter
    package let executions: Counter
    package let batchSize: Recorder
    package let queue: Metrics.Timer
    package let computeInput: Metrics.Timer
    package let computeInfer: Metrics.Timer
    package let instances: Meter
    package let pending: Meter
    package let inFlight: Meter
    package let fileBytes: Meter
    /// The statistics extension's counts and times (all protocols).
    package let statistics: StatisticsRecorder

    package init(_ model: ServedModel, factory: any MetricsFactory) {
        let pool = model.pool
        let batcher = model.batcher
        self.waiting = { [weak pool, weak batcher] in (pool?.waiting ?? 0) + (batcher?.waiting ?? 0) }
        self.instanceCount = { [weak pool] in pool?.instances.count ?? 0 }
        self.modelID = ObjectIdentifier(model)
        let labels = [("model", model.name), ("version", model.version)]
        func counter(_ name: String, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: name, dimensions: labels + extra, factory: factory)
        }
        func timer(_ name: String) -> Metrics.Timer {
            Metrics.Timer(label: name, dimensions: labels, preferredDisplayUnit: .seconds, factory: factory)
        }
        func meter(_ name: String) -> Meter { Meter(label: name, dimensions: labels, factory: factory) }
        statistics = StatisticsRecorder(name: model.name, version: model.version)
        http = RequestCounters(labels: labels + [("protocol", "http")], factory: factory, statistics: statistics)
        grpc = RequestCounters(labels: labels + [("protocol", "grpc")], factory: factory, statistics: statistics)
        inferences = counter("ledge_inference_count_total")
        executions = counter("ledge_inference_exec_count_total")
        batchSize = Recorder(label: "ledge_inference_batch_size", dimensions: labels, aggregate: true, factory: factory)
        queue = timer("ledge_inference_queue_duration_seconds")
        computeInput = timer("ledge_inference_compute_input_duration_seconds")
        computeInfer = timer("ledge_inference_compute_infer_duration_seconds")
        instances = meter("ledge_model_instances")
        pending = meter("ledge_inference_pending_request_count")
        inFlight = meter("ledge_inference_requests_in_flight")
        fileBytes = meter("ledge_model_file_bytes")
        instances.set(model.pool.instances.count)
        fileBytes.set(model.info.sizeBytes)
    }
}

/// The outcomes of one model version's inference requests over one protocol (label `protocol`).
package struct RequestCounters: Sendable {
    package let success: Counter
    package let clientFailure: Counter
    package let busyFailure: Counter
    package let serverFailure: Counter
    package let duration: Metrics.Timer
    let statistics: StatisticsRecorder

    init(labels: [(String, String)], factory: any MetricsFactory, statistics: StatisticsRecorder) {
        self.statistics = statistics
        func counter(_ name: String, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: name, dimensions: labels + extra, factory: factory)
        }
        success = counter("ledge_inference_request_success_total")
        clientFailure = counter("ledge_inference_request_failure_total", [("reason", "client")])
        busyFailure = counter("ledge_inference_request_failure_total", [("reason", "busy")])
        serverFailure = counter("ledge_inference_request_failure_total", [("reason", "server")])
        duration = Metrics.Timer(
            label: "ledge_inference_request_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds, factory: factory)
    }

    /// Counts a finished request by its outcome, with its whole time when it succeeded.
    package func count(_ outcome: RequestOutcome, duration elapsed: Duration) {
        statistics.request(succeeded: outcome == .success, duration: elapsed)
        switch outcome {
        case .success:
            success.increment()
            duration.record(duration: elapsed)
        case .busy: busyFailure.increment()
        case .serverFailure: serverFailure.increment()
        case .clientFailure: clientFailure.increment()
        }
    }
}

/// How an inference request ended, as the failure counter's `reason` label has it.
package enum RequestOutcome: Sendable {
    case success
    /// The request was at fault (HTTP 4xx; gRPC INVALID_ARGUMENT, NOT_FOUND, …).
    case clientFailure
    /// The model's queue was full (HTTP 503; gRPC UNAVAILABLE).
    case busy
    /// The server failed (other HTTP 5xx; gRPC INTERNAL).
    case serverFailure

    /// The outcome of an HTTP status.
    package init(httpStatus status: Int) {
        switch status {
        case 200..<400: self = .success
        case 503: self = .busy
        case 500...: self = .serverFailure
        default: self = .clientFailure
        }
    }
}

extension ServerMetrics {
    /// Records a successful `execution` on `model`: the wait for an instance,
    /// its input time when it has one, the session run as compute time, its
    /// execution (none for a batch another request counts) with its batch
    /// size, and `items` inferences.
    package func record<Value>(_ execution: ModelExecution<Value>, on model: ServedModel, items: Int) {
        guard let metrics = self.model(model.name, version: model.version) else { return }
        metrics.queue.record(duration: execution.queued)
        metrics.executions.increment(by: execution.executions)
        if execution.executions > 0 { metrics.batchSize.record(execution.batchSize ?? max(items, 0)) }
        metrics.inferences.increment(by: max(items, 0))
        if let input = execution.input { metrics.computeInput.record(duration: input) }
        metrics.computeInfer.record(duration: execution.compute)
        metrics.statistics.execution(
            queued: execution.queued, input: execution.input, compute: execution.compute, executions: execution.executions,
            batchSize: execution.batchSize, items: items)
    }

    /// The statistics of the loaded models (Triton's statistics extension): every version of every
    /// model when `name` is `nil`, else of `name` (every version, or `version`); sorted by name and
    /// version. Empty when none matches.
    public func statistics(name: String? = nil, version: String? = nil) -> [ModelStatistics] {
        let recorders = models.withLock { models in
            models.filter { name == nil || $0.key == name }.flatMap { $0.value.filter { version == nil || $0.key == version }.map(\.value) }
        }
        return recorders.map(\.statistics.snapshot).sorted {
            ($0.name, Int($0.version) ?? 0, $0.version) < ($1.name, Int($1.version) ?? 0, $1.version)
        }
    }
}
