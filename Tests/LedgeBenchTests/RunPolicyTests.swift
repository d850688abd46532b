@testable import LedgeBench
import LedgeEngine
import LedgeTesting
import Logging
import Testing

/// When the steady state and throughput loops stop, per BenchOptions' documented rules.
@Suite struct RunPolicyTests {
    @Test func runsOnlyIsExact() {
        let p = BenchOptions(runs: 7).steadyPolicy
        #expect(p.shouldContinue(done: 6, elapsed: 100))
        #expect(!p.shouldContinue(done: 7, elapsed: 0))
        #expect(p.plannedRuns == 7)
    }

    @Test func durationOnlyRunsForTheDuration() {
        let p = BenchOptions(duration: 2).steadyPolicy
        #expect(p.shouldContinue(done: 0, elapsed: 5))
        #expect(p.shouldContinue(done: 1000, elapsed: 1.9))
        #expect(!p.shouldContinue(done: 1, elapsed: 2))
        #expect(p.plannedRuns == nil)
    }

    @Test func runsAndDurationStopAtWhicheverComesFirst() {
        let p = BenchOptions(runs: 10, duration: 1).steadyPolicy
        #expect(!p.shouldContinue(done: 10, elapsed: 0.1))
        #expect(!p.shouldContinue(done: 3, elapsed: 1))
        #expect(p.shouldContinue(done: 3, elapsed: 0.5))
    }

    @Test func defaultIsFiftyRunsAndFiveSecondsAtMostSixty() {
        let p = BenchOptions().steadyPolicy
        #expect(p.shouldContinue(done: 49, elapsed: 10))
        #expect(p.shouldContinue(done: 500, elapsed: 4.9))
        #expect(!p.shouldContinue(done: 50, elapsed: 5))
        #expect(!p.shouldContinue(done: 3, elapsed: 60))
    }

    @Test func durationRunOfARealModelTakesManySamples() throws {
        let r = try BenchRunner(options: BenchOptions(warmup: 1, duration: 0.3, batches: [1]), logger: Logger(label: "test"))
            .run(model: Fixtures.model("add.onnx"), threads: 1, provider: nil)
        #expect(r.latency_ms.count > 10)
        #expect(r.latency_ms.count == r.samples.count)
    }
}
