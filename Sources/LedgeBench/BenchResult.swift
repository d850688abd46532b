internal import LedgeCore

// The data `ledge bench` measures and reports. The JSON keys are the stable,
// documented schema (README, "ledge bench --format json"): snake_case, times
// in milliseconds, sizes in bytes, throughput in samples per second.

/// Latency statistics of the steady-state runs, in milliseconds.
public struct LatencySummary: Codable, Sendable, Hashable {
    public var count: Int
    public var min: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double
    public var mean: Double
    public var std: Double

    public init(count: Int, min: Double, p50: Double, p90: Double, p99: Double, max: Double, mean: Double, std: Double) {
        self.count = count
        self.min = min
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
        self.mean = mean
        self.std = std
    }
}

/// Samples per second at one batch size (and number of parallel instances).
public struct ThroughputPoint: Codable, Sendable, Hashable {
    public var batch: Int
    public var instances: Int
    public var samples_per_s: Double

    public init(batch: Int, instances: Int = 1, samplesPerSecond: Double) {
        self.batch = batch
        self.instances = instances
        self.samples_per_s = samplesPerSecond
    }
}

/// Where the time of one image goes with `--end-to-end`, p50 of each step in milliseconds.
public struct EndToEndSummary: Codable, Sendable, Hashable {
    public var images: Int
    public var decode_ms: Double
    public var preprocess_ms: Double
    public var invoke_ms: Double
    public var postprocess_ms: Double
    public var total_ms: Double
    /// (decode + preprocess) / total.
    public var preprocess_share: Double
    /// Images classified per second over the whole loop (iterations / their summed
    /// time): the sustained rate, where ``total_ms`` is the median image.
    public var images_per_s: Double

    public init(
        images: Int, decodeMs: Double, preprocessMs: Double, invokeMs: Double, postprocessMs: Double, totalMs: Double,
        imagesPerSecond: Double
    ) {
        self.images = images
        self.decode_ms = decodeMs
        self.preprocess_ms = preprocessMs
        self.invoke_ms = invokeMs
        self.postprocess_ms = postprocessMs
        self.total_ms = totalMs
        self.preprocess_share = totalMs > 0 ? (decodeMs + preprocessMs) / totalMs : 0
        self.images_per_s = imagesPerSecond
    }
}

/// A budget's verdict for one variant: passed, or the reason for each failed term.
public struct BudgetVerdict: Codable, Sendable, Hashable {
    public var passed: Bool
    /// One line per failed term, e.g. `p50 14.2 ms is not < 10 ms`.
    public var failures: [String]

    public init(passed: Bool, failures: [String]) {
        self.passed = passed
        self.failures = failures
    }
}

/// Everything measured for one variant (a model with its settings).
public struct VariantResult: Codable, Sendable {
    /// The model file as given.
    public var model: String
    /// `tflite` or `onnx`.
    public var format: String
    /// `litert` or `onnxruntime`.
    public var runtime: String
    public var runtime_version: String
    public var threads: Int
    /// The execution provider actually used (`cpu` for LiteRT).
    public var provider: String
    /// The provider asked for when it could not be used (`cuda` where ONNX Runtime has no CUDA): the
    /// run fell back to `provider`. Absent when `provider` is the one asked for.
    public var provider_requested: String?
    public var size_bytes: Int
    /// Reading, parsing and compiling the model into a ready session.
    public var load_ms: Double
    /// The first inference (includes warm-up: memory planning, caches).
    public var first_ms: Double
    /// Mean of the warm-up runs after the first.
    public var warmup_mean_ms: Double
    /// Steady-state single-sample latency (batch 1, or the model's fixed batch).
    public var latency_ms: LatencySummary
    /// Throughput at each batch size (one instance), then with `--instances N`.
    public var throughput: [ThroughputPoint]
    /// Why batch rows are missing, e.g. `fixed batch 1: input 'images' has shape [1, 224, 224, 3]`.
    public var batch_note: String?
    /// Peak resident set size of the process while this variant ran.
    public var rss_peak_bytes: Int
    /// Resident set size at the end minus right before loading.
    public var rss_growth_bytes: Int
    public var end_to_end: EndToEndSummary?
    /// `nil` when no budget was given.
    public var budget: BudgetVerdict?
    /// The steady-state samples in milliseconds, for plots; not written to JSON.
    public var samples: [Double] = []

    enum CodingKeys: String, CodingKey {
        case model, format, runtime, runtime_version, threads, provider, provider_requested, size_bytes, load_ms, first_ms,
            warmup_mean_ms, latency_ms, throughput, batch_note, rss_peak_bytes, rss_growth_bytes, end_to_end, budget
    }

    public init(
        model: String, format: String, runtime: String, runtimeVersion: String, threads: Int, provider: String,
        sizeBytes: Int, loadMs: Double, firstMs: Double, warmupMeanMs: Double, latency: LatencySummary,
        throughput: [ThroughputPoint], batchNote: String?, rssPeakBytes: Int, rssGrowthBytes: Int,
        endToEnd: EndToEndSummary? = nil, budget: BudgetVerdict? = nil, samples: [Double] = []
    ) {
        self.model = model
        self.format = format
        self.runtime = runtime
        self.runtime_version = runtimeVersion
        self.threads = threads
        self.provider = provider
        self.size_bytes = sizeBytes
        self.load_ms = loadMs
        self.first_ms = firstMs
        self.warmup_mean_ms = warmupMeanMs
        self.latency_ms = latency
        self.throughput = throughput
        self.batch_note = batchNote
        self.rss_peak_bytes = rssPeakBytes
        self.rss_growth_bytes = rssGrowthBytes
        self.end_to_end = endToEnd
        self.budget = budget
        self.samples = samples
    }

    /// A short label: file name, threads and provider, e.g. `efficientnet_lite0.tflite t2`, or
    /// `mobilenet.onnx t2 cpu (no cuda)` when the provider asked for fell back to CPU.
    public var label: String {
        let name = model.split(separator: "/").last.map(String.init) ?? model
        if let requested = provider_requested { return "\(name) t\(threads) \(provider) (no \(requested))" }
        return "\(name) t\(threads)" + (provider == "cpu" ? "" : " \(provider)")
    }

    /// The throughput at the largest batch measured with one instance.
    public var largestBatchThroughput: ThroughputPoint? {
        throughput.filter { $0.instances == 1 }.max { $0.batch < $1.batch }
    }
}

/// A whole `ledge bench` run: the variants, the first being the baseline.
public struct BenchReport: Codable, Sendable {
    public var ledge_version: String
    /// The budget expression as given (after preset expansion), if any.
    public var budget: String?
    public var variants: [VariantResult]

    public init(ledgeVersion: String, budget: String?, variants: [VariantResult]) {
        self.ledge_version = ledgeVersion
        self.budget = budget
        self.variants = variants
    }

    /// True when no variant failed its budget.
    public var passed: Bool { variants.allSatisfy { $0.budget?.passed ?? true } }
}
