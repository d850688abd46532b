import Dispatch
import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeTesting
import Logging
import Synchronization
import Testing

/// The default pool (no --instances, no --threads): a lone request runs on
/// every core, concurrent requests run one per core and never more threads
/// than cores, as the pool's own counters and the runs themselves show.
@Suite(.ownThread) struct AdaptivePoolTests {
    static let cores = 2

    /// efficientnet_lite0 served with the default plan for `cores` cores.
    func served() throws -> ServedModel {
        let options = RepositoryOptions(instances: nil, cores: Self.cores)
        let repository = try ModelRepository.load(
            .file(path: Fixtures.model("efficientnet_lite0.tflite"), name: "effnet"), options: options,
            logger: Logger(label: "test"))
        return try repository.model(named: "effnet")
    }

    static func input(_ seed: UInt8) -> Tensor {
        Tensor(dtype: .uint8, shape: [1, 224, 224, 3], values: [UInt8](repeating: seed, count: 224 * 224 * 3))
    }

    @Test func theDefaultPlanIsOneThreadPerCorePlusOneWideInstance() {
        let plan = InstancePlan(instances: nil, threads: nil, configInstances: nil, configThreads: nil, cores: 4)
        #expect(plan == InstancePlan(count: 4, threads: 1, wideThreads: 4))
        #expect(plan.summary == "4 × 1 thread + 1 × 4 threads")
        // Anything set explicitly gives the fixed plan of before: cores ÷ threads instances.
        #expect(
            InstancePlan(instances: nil, threads: 2, configInstances: nil, configThreads: nil, cores: 4)
                == InstancePlan(count: 2, threads: 2, wideThreads: nil))
        #expect(
            InstancePlan(instances: 3, threads: nil, configInstances: nil, configThreads: nil, cores: 4)
                == InstancePlan(count: 3, threads: 1, wideThreads: nil))
        // Instances without threads share the cores: one instance takes them all, as Triton's would.
        #expect(
            InstancePlan(instances: nil, threads: nil, configInstances: 1, configThreads: nil, cores: 4)
                == InstancePlan(count: 1, threads: 4, wideThreads: nil))
        #expect(
            InstancePlan(instances: 2, threads: nil, configInstances: nil, configThreads: nil, cores: 4)
                == InstancePlan(count: 2, threads: 2, wideThreads: nil))
        #expect(
            InstancePlan(instances: 8, threads: nil, configInstances: nil, configThreads: nil, cores: 4)
                == InstancePlan(count: 8, threads: 1, wideThreads: nil))
        #expect(
            InstancePlan(instances: 1, threads: nil, configInstances: nil, configThreads: 1, cores: 4)
                == InstancePlan(count: 1, threads: 1, wideThreads: nil))
        // One core: nothing to widen.
        #expect(
            InstancePlan(instances: nil, threads: nil, configInstances: nil, configThreads: nil, cores: 1)
                == InstancePlan(count: 1, threads: 1, wideThreads: nil))
    }

    /// The startup line names the plan models run on, and each model its config plans otherwise.
    @Test func theStartupLineNamesEachPlan() {
        let standard = InstancePlan(count: 2, threads: 1, wideThreads: 2)
        let four = InstancePlan(count: 4, threads: 1, wideThreads: nil)
        #expect(InstancePlan.describe([], standard: standard) == "2 × 1 thread + 1 × 2 threads per model")
        #expect(InstancePlan.describe([("add", standard), ("b", nil)], standard: standard) == "2 × 1 thread + 1 × 2 threads per model")
        #expect(
            InstancePlan.describe([("add", standard), ("densenet", four)], standard: standard)
                == "2 × 1 thread + 1 × 2 threads per model; 'densenet': 4 × 1 thread")
        #expect(InstancePlan.describe([("densenet", four)], standard: standard) == "'densenet': 4 × 1 thread")
    }

    @Test func aLoneRequestRunsOnEveryCore() async throws {
        let model = try served()
        #expect(model.pool.narrow.map(\.threads) == [1, 1])
        #expect(model.pool.wide?.threads == Self.cores)
        for round in 0..<3 {
            let threads = try await model.pool.run { instance in
                _ = try instance.session.run([Self.input(UInt8(round))])
                return instance.threads
            }
            #expect(threads == Self.cores)
        }
        let counters = model.pool.counters
        #expect(counters.wideRuns == 3)
        #expect(counters.narrowRuns == 0)
        #expect(counters.peakThreadsBusy == Self.cores)
        #expect(counters.threadsBusy == 0)
    }

    @Test func concurrentRequestsKeepEveryCoreBusyWithoutOversubscribing() async throws {
        let model = try served()
        let busy = BusyThreads()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    for request in 0..<4 {
                        try await model.pool.run { instance in
                            busy.state.withLock {
                                $0.now += instance.threads; $0.peak = max($0.peak, $0.now)
                            }
                            defer { busy.state.withLock { $0.now -= instance.threads } }
                            _ = try instance.session.run([Self.input(UInt8(client * 4 + request))])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let counters = model.pool.counters
        #expect(counters.wideRuns + counters.narrowRuns == 32)
        // Under load the narrow instances ran side by side: every core busy at once ...
        #expect(counters.peakRunning == Self.cores)
        #expect(counters.peakThreadsBusy == Self.cores)
        // ... and never more threads than cores, counted by the runs themselves.
        #expect(busy.state.withLock { $0.peak } == Self.cores)
        #expect(counters.threadsBusy == 0 && counters.running == 0)
    }
}

/// Threads of the runs in progress, counted by the runs themselves.
final class BusyThreads: Sendable {
    let state = Mutex((now: 0, peak: 0))
}
