public import Dispatch
public import LedgeServing
internal import Synchronization

extension SessionPool {
    /// Holds one instance of the pool (its only one: the pool is then busy) until `release` is
    /// signalled, and returns once it holds it: the run's task, whose value is 1. For tests of
    /// what a busy model does (queues, limits, timeouts). Waits by yielding: blocking a thread
    /// of the cooperative pool could starve it.
    public func occupy(until release: DispatchSemaphore) async -> Task<Int, any Error> {
        let started = Atomic<Bool>(false)
        let task = Task {
            try await run { _ in
                started.store(true, ordering: .releasing)
                release.wait()
                return 1
            }
        }
        while !started.load(ordering: .acquiring) { await Task.yield() }
        return task
    }
}
