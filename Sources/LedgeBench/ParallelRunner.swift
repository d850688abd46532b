internal import LedgeCore
internal import LedgeEngine

/// Runs several sessions of one model at once, one thread each, for multi-instance throughput.
///
/// Each instance runs on its own thread (not `concurrentPerform`, which caps
/// parallelism at the core count) until the shared policy says stop; the result
/// is all samples finished divided by the wall time from start to the last thread's end.
enum ParallelRunner {
    static func samplesPerSecond(
        sessions: [any InferenceSession], inputs: [Tensor], batch: Int,
        policy: RunPolicy
    ) throws -> Double {
        let start = ContinuousClock.now
        let outcomes = DedicatedThread.runAll(
            sessions.map { session in
                {
                    Result<Int, any Error> {
                        var runs = 0
                        var elapsed = 0.0
                        while policy.shouldContinue(done: runs, elapsed: elapsed) {
                            _ = try session.run(inputs)
                            runs += 1
                            elapsed = (ContinuousClock.now - start).milliseconds / 1000
                        }
                        return runs
                    }
                }
            })
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        var total = 0
        for outcome in outcomes { total += try outcome.get() }
        return seconds > 0 ? Double(total * batch) / seconds : 0
    }
}
