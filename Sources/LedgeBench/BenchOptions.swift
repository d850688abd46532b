public import LedgeCore

/// How `ledge bench` measures each variant.
///
/// How long the steady state runs:
/// - `runs` only: exactly that many runs;
/// - `duration` only: runs until that many seconds have passed (at least one run);
/// - both: stops at whichever comes first;
/// - neither (the default): at least 50 runs *and* at least 5 seconds, like
///   TFLite's `benchmark_model` (min runs + min seconds), but never past 60 seconds,
///   so a slow model still finishes.
///
/// Throughput at each batch size runs `runs` times when given, else at least 10
/// runs and at least 1 second (or `duration` if shorter), capped at 30 seconds.
public struct BenchOptions: Sendable {
    /// Warm-up runs after the first inference, excluded from the statistics.
    public var warmup: Int
    public var runs: Int?
    /// Seconds of steady-state runs.
    public var duration: Double?
    /// Batch sizes for throughput (models with a dynamic batch dimension).
    public var batches: [Int]
    /// Sessions run in parallel for the multi-instance rows; 1 adds no rows.
    public var instances: Int
    /// Seed of the random inputs.
    public var seed: UInt64
    /// A folder of photos (.jpg, .jpeg, .png) to feed instead of random data.
    public var imagesDirectory: String?
    /// Also time decode + preprocess + invoke + top-k per image (needs `imagesDirectory`).
    public var endToEnd: Bool
    /// k of the end-to-end top-k.
    public var topK: Int
    /// Height and width for inputs with dynamic height/width.
    public var inputSize: ImageSize?
    /// Decode the photos' JPEGs at full size instead of at the DCT scale that covers the input.
    public var exactDecode: Bool
    /// Seconds slept before each warm-up, steady-state and end-to-end run, outside the timings
    /// (TFLite `benchmark_model`'s `--run_delay`): runs that find the runtime's threads idle, as
    /// a camera's frames or a server's requests do, instead of back to back. Throughput rows run
    /// back to back.
    public var runDelay: Double

    public init(
        warmup: Int = 5, runs: Int? = nil, duration: Double? = nil, batches: [Int] = [1, 8, 32],
        instances: Int = 1, seed: UInt64 = 0, imagesDirectory: String? = nil, endToEnd: Bool = false,
        topK: Int = 5, inputSize: ImageSize? = nil, exactDecode: Bool = false, runDelay: Double = 0
    ) {
        self.runDelay = runDelay
        self.exactDecode = exactDecode
        self.warmup = warmup
        self.runs = runs
        self.duration = duration
        self.batches = batches
        self.instances = instances
        self.seed = seed
        self.imagesDirectory = imagesDirectory
        self.endToEnd = endToEnd
        self.topK = topK
        self.inputSize = inputSize
    }

    /// The most instances a throughput run opens at once (each is a loaded copy of the model).
    public static let maxInstances = 256

    /// Throws a usage error naming the option that is out of range.
    public func validate() throws {
        if warmup < 0 { throw LedgeError.usage("--warmup must be 0 or more, got \(warmup)") }
        if let runs, runs < 1 { throw LedgeError.usage("--runs must be at least 1, got \(runs)") }
        if let duration, !(duration > 0 && duration.isFinite) {
            throw LedgeError.usage("--duration must be a positive number of seconds, got \(duration)")
        }
        if batches.isEmpty { throw LedgeError.usage("--batch needs at least one batch size") }
        if let bad = batches.first(where: { $0 < 1 }) { throw LedgeError.usage("--batch sizes must be at least 1, got \(bad)") }
        if !(runDelay >= 0 && runDelay <= 60) {
            throw LedgeError.usage("--run-delay must be from 0 to 60 seconds, got \(runDelay)")
        }
        if !(1...Self.maxInstances).contains(instances) {
            throw LedgeError.usage("--instances must be from 1 to \(Self.maxInstances), got \(instances)")
        }
        if topK < 1 { throw LedgeError.usage("--top-k must be at least 1, got \(topK)") }
        if endToEnd && imagesDirectory == nil { throw LedgeError.usage("--end-to-end needs --images DIR") }
    }

    /// When the steady state stops.
    var steadyPolicy: RunPolicy {
        switch (runs, duration) {
        case let (runs?, nil): return RunPolicy(minRuns: runs, maxRuns: runs, minSeconds: 0, maxSeconds: .infinity)
        case let (nil, seconds?): return RunPolicy(minRuns: 1, maxRuns: nil, minSeconds: seconds, maxSeconds: seconds)
        case let (runs?, seconds?): return RunPolicy(minRuns: runs, maxRuns: runs, minSeconds: seconds, maxSeconds: seconds)
        case (nil, nil): return RunPolicy(minRuns: 50, maxRuns: nil, minSeconds: 5, maxSeconds: 60)
        }
    }

    /// When a throughput measurement stops.
    var throughputPolicy: RunPolicy {
        if let runs { return RunPolicy(minRuns: runs, maxRuns: runs, minSeconds: 0, maxSeconds: .infinity) }
        return RunPolicy(minRuns: 10, maxRuns: nil, minSeconds: Swift.min(1, duration ?? 1), maxSeconds: 30)
    }
}

/// A stopping rule: keep running until both minimums are met, a maximum is reached, or both.
struct RunPolicy: Sendable {
    var minRuns: Int
    var maxRuns: Int?
    var minSeconds: Double
    var maxSeconds: Double

    /// Whether to start another run after `done` runs and `elapsed` seconds.
    func shouldContinue(done: Int, elapsed: Double) -> Bool {
        if done < 1 { return true }
        if let maxRuns, done >= maxRuns { return false }
        if elapsed >= maxSeconds { return false }
        return done < minRuns || elapsed < minSeconds
    }

    /// The planned run count for a progress bar, `nil` when time decides.
    var plannedRuns: Int? { maxRuns != nil && maxSeconds == .infinity ? maxRuns : nil }
}
