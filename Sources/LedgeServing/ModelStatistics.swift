#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Synchronization

/// One model version's cumulative inference statistics since it loaded: Triton's statistics
/// extension (`GET /v2/models/…/stats`, gRPC ModelStatistics), which perf_analyzer and
/// `tritonclient`'s `get_inference_statistics` read. Counts and times of every protocol.
public struct ModelStatistics: Sendable, Equatable {
    /// How many, and their summed time in nanoseconds.
    public struct Tally: Sendable, Equatable {
        public var count: UInt64 = 0
        public var ns: UInt64 = 0

        /// None yet.
        public init() {}

        mutating func add(_ duration: Duration) {
            count += 1
            ns &+= duration.wholeNanoseconds
        }
    }

    /// The executions of one batch size (the dynamic batch, else the request's first dimension).
    public struct Batch: Sendable, Equatable {
        public var size: Int
        public var computeInput = Tally()
        public var computeInfer = Tally()
        /// Counted with `computeInfer`; its time is inside the run (the runtime hands back the outputs): 0 ns.
        public var computeOutput = Tally()
    }

    public var name: String
    public var version: String
    /// When the last successful inference request finished, in milliseconds since the epoch (0: none yet).
    public var lastInference: UInt64 = 0
    /// Inferences: batch items (1 per classified image).
    public var inferenceCount: UInt64 = 0
    /// Model executions (a dynamic batch is one).
    public var executionCount: UInt64 = 0
    /// Successful requests and their whole time, routing to response.
    public var success = Tally()
    /// Failed requests (any reason) and their time.
    public var fail = Tally()
    /// Waits for a free instance, one per successful request.
    public var queue = Tally()
    /// Image decode and preprocessing of classify and image requests; counted for every request, as
    /// Triton counts it (perf_analyzer requires equal compute counts), with 0 ns for tensor requests.
    public var computeInput = Tally()
    /// Session runs, one per successful request (a batch's run counted by each of its requests).
    public var computeInfer = Tally()
    /// Counted with `computeInfer`; its time is inside the run: 0 ns.
    public var computeOutput = Tally()
    /// By batch size, ascending.
    public var batches: [Batch] = []
}

/// Accumulates a ``ModelStatistics`` from the same points that record the Prometheus metrics.
package final class StatisticsRecorder: Sendable {
    private let state: Mutex<ModelStatistics>

    init(name: String, version: String) { state = Mutex(ModelStatistics(name: name, version: version)) }

    /// The statistics now.
    package var snapshot: ModelStatistics { state.withLock { $0 } }

    /// A finished request.
    func request(succeeded: Bool, duration: Duration) {
        let now = succeeded ? UInt64(max(Date().timeIntervalSince1970 * 1000, 0)) : 0
        state.withLock { statistics in
            if succeeded {
                statistics.success.add(duration)
                statistics.lastInference = max(statistics.lastInference, now)
            } else {
                statistics.fail.add(duration)
            }
        }
    }

    /// A successful execution of a request (see ``ServerMetrics/record(_:on:items:)``).
    func execution(queued: Duration, input: Duration?, compute: Duration, executions: Int, batchSize: Int?, items: Int) {
        state.withLock { statistics in
            statistics.queue.add(queued)
            statistics.computeInput.add(input ?? .zero)
            statistics.computeInfer.add(compute)
            statistics.computeOutput.add(.zero)
            statistics.inferenceCount += UInt64(max(items, 0))
            guard executions > 0 else { return }
            statistics.executionCount += UInt64(executions)
            let size = batchSize ?? max(items, 0)
            let at = statistics.batches.firstIndex { $0.size >= size } ?? statistics.batches.endIndex  // kept sorted by size
            if at == statistics.batches.endIndex || statistics.batches[at].size != size {
                statistics.batches.insert(ModelStatistics.Batch(size: size), at: at)
            }
            statistics.batches[at].computeInput.add(input ?? .zero)
            statistics.batches[at].computeInfer.add(compute)
            statistics.batches[at].computeOutput.add(.zero)
        }
    }
}

extension ModelRepository {
    /// The statistics of every loaded model (`name` `nil` or empty), of every loaded version of
    /// `name` (`version` `nil`), or of one version; a name or version not loaded is the error
    /// ``model(named:version:)`` throws (404, gRPC NOT_FOUND).
    public func statistics(name: String?, version: String?) throws -> [ModelStatistics] {
        guard let name, !name.isEmpty else { return metrics.statistics() }
        let served = try model(named: name, version: version)
        return metrics.statistics(name: served.name, version: version == nil ? nil : served.version)
    }
}
