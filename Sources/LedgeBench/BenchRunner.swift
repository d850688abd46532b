#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import LedgeCore
public import LedgeEngine
public import Logging

/// Measures one variant (a model with a thread count and an execution provider):
/// load, first inference, warm-up, steady-state latency, throughput per batch
/// size and per instance count, memory, and optionally end-to-end image timing.
///
/// Latency is the wall time around `session.run` measured with `ContinuousClock`;
/// inputs are built before timing. Everything fed is deterministic for a seed.
public struct BenchRunner: Sendable {
    public let options: BenchOptions
    public let engine: EngineOptions
    public let logger: Logger
    public let progress: (any ProgressSink)?

    public init(
        options: BenchOptions, engine: EngineOptions = EngineOptions(), logger: Logger,
        progress: (any ProgressSink)? = nil
    ) {
        self.options = options
        self.engine = engine
        self.logger = logger
        self.progress = progress
    }

    /// Benchmarks `model` with `threads` intra-op threads on `provider` (`nil`: CPU).
    ///
    /// Throws ``LedgeError`` for a bad model, runtime or input (the same errors as
    /// `ledge classify`), and a usage error for out-of-range options.
    public func run(model: String, threads: Int, provider: String?) throws -> VariantResult {
        try options.validate()
        defer { progress?.finish() }
        let memory = MemoryMonitor()
        var engine = self.engine
        engine.session = SessionOptions(threads: threads, provider: provider)

        let loadStart = ContinuousClock.now
        let session = try ModelLoader.open(path: model, options: engine, logger: logger)
        let loadMs = (ContinuousClock.now - loadStart).milliseconds
        let info = session.info
        let label = VariantResult.label(model: model, threads: threads, provider: provider ?? "cpu")
        memory.sample()

        let source = try InputSource(info: info, options: options)
        let fixed = InputFactory.fixedBatch(of: info.inputs)
        let steadyBatch = fixed?.batch ?? 1

        // First inference, then warm-up.
        let firstInputs = try source.inputs(batch: steadyBatch, index: 0)
        let firstMs = try Self.time { _ = try session.run(firstInputs) }
        var warmupTotal = 0.0
        for i in 0..<options.warmup {
            options.pauseBeforeRun()
            let inputs = try source.inputs(batch: steadyBatch, index: i + 1)
            warmupTotal += try Self.time { _ = try session.run(inputs) }
            progress?.update(phase: "\(label): warm-up", done: i + 1, total: options.warmup)
            memory.sample()
        }

        // Steady state.
        let steady = try loop(policy: options.steadyPolicy, phase: "\(label): runs", memory: memory) { i in
            options.pauseBeforeRun()
            let inputs = try source.inputs(batch: steadyBatch, index: i)
            return try Self.time { _ = try session.run(inputs) }
        }
        let latency = LatencyStatistics.summarize(steady.samples)

        // Throughput per batch size.
        var throughput: [ThroughputPoint] = []
        var batchSizes: [Int]
        if let fixed {
            batchSizes = [fixed.batch]
            throughput.append(ThroughputPoint(batch: fixed.batch, samplesPerSecond: steady.rate(batch: fixed.batch)))
        } else {
            batchSizes = Array(Set(options.batches)).sorted()
            for batch in batchSizes {
                if batch == 1 {
                    throughput.append(ThroughputPoint(batch: 1, samplesPerSecond: steady.rate(batch: 1)))
                    continue
                }
                let inputs = try source.inputs(batch: batch, index: 0)
                _ = try session.run(inputs)  // the first run at a new shape re-plans memory
                let measured = try loop(policy: options.throughputPolicy, phase: "\(label): batch \(batch)", memory: memory) { _ in
                    try Self.time { _ = try session.run(inputs) }
                }
                throughput.append(ThroughputPoint(batch: batch, samplesPerSecond: measured.rate(batch: batch)))
            }
        }

        // Several sessions in parallel.
        if options.instances > 1 {
            let extra = try (1..<options.instances).map { _ in try ModelLoader.open(path: model, options: engine, logger: logger) }
            let sessions: [any InferenceSession] = [session] + extra
            memory.sample()
            for batch in Set([batchSizes.first ?? 1, batchSizes.last ?? 1]).sorted() {
                let inputs = try source.inputs(batch: batch, index: 0)
                progress?.update(phase: "\(label): \(options.instances) instances, batch \(batch)", done: 0, total: nil)
                let rate = try ParallelRunner.samplesPerSecond(
                    sessions: sessions, inputs: inputs, batch: batch, policy: options.throughputPolicy)
                throughput.append(ThroughputPoint(batch: batch, instances: options.instances, samplesPerSecond: rate))
                memory.sample()
            }
        }

        let endToEnd =
            options.endToEnd
            ? try EndToEnd.measure(
                session: session, options: options, iterations: steady.samples.count, label: label,
                progress: progress, memory: memory) : nil

        let (peak, growth) = memory.finish()
        var result = VariantResult(
            model: model, format: info.format.rawValue, runtime: info.format.runtimeName,
            runtimeVersion: info.runtimeVersion, threads: threads,
            provider: session.executionProvider ?? "cpu", sizeBytes: info.sizeBytes,
            loadMs: loadMs, firstMs: firstMs, warmupMeanMs: options.warmup > 0 ? warmupTotal / Double(options.warmup) : 0,
            latency: latency, throughput: throughput, batchNote: fixed?.note,
            rssPeakBytes: peak, rssGrowthBytes: growth, endToEnd: endToEnd, samples: steady.samples)
        result.provider_requested = VariantResult.unmet(requested: provider, used: result.provider)
        return result
    }

    /// Runs `body` (which returns one run's milliseconds) until `policy` says stop.
    func loop(policy: RunPolicy, phase: String, memory: MemoryMonitor, _ body: (Int) throws -> Double) throws -> Measured {
        var samples: [Double] = []
        let start = ContinuousClock.now
        var elapsed = 0.0
        while policy.shouldContinue(done: samples.count, elapsed: elapsed) {
            samples.append(try body(samples.count))
            elapsed = (ContinuousClock.now - start).milliseconds / 1000
            progress?.update(phase: phase, done: samples.count, total: policy.plannedRuns)
            memory.sample()
        }
        return Measured(samples: samples, seconds: elapsed)
    }

    /// Milliseconds `body` takes.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        return (ContinuousClock.now - start).milliseconds
    }
}

/// Samples of one measured loop and its wall time.
struct Measured {
    var samples: [Double]
    var seconds: Double

    /// Samples per second for runs of `batch` samples each.
    func rate(batch: Int) -> Double {
        seconds > 0 ? Double(batch * samples.count) / seconds : 0
    }
}

extension VariantResult {
    /// The label of a variant not measured yet (same form as ``label``).
    static func label(model: String, threads: Int, provider: String) -> String {
        let name = model.split(separator: "/").last.map(String.init) ?? model
        return "\(name) t\(threads)" + (provider.lowercased() == "cpu" ? "" : " \(provider)")
    }

    /// The provider asked for, in short (`cuda` for `CUDAExecutionProvider`), when it is not the one `used`.
    static func unmet(requested: String?, used: String) -> String? {
        guard var name = requested?.lowercased(), !name.isEmpty else { return nil }
        if name.hasSuffix("executionprovider") { name.removeLast("executionprovider".count) }
        return name == used.lowercased() ? nil : name
    }
}

extension BenchOptions {
    /// Sleeps `--run-delay` (before a warm-up, steady or end-to-end run, outside its timing).
    func pauseBeforeRun() {
        guard runDelay > 0 else { return }
        let seconds = runDelay.rounded(.down)
        var wait = timespec(tv_sec: Int(seconds), tv_nsec: Int((runDelay - seconds) * 1e9))
        var left = timespec()
        while nanosleep(&wait, &left) != 0 && errno == EINTR { wait = left }
    }
}
