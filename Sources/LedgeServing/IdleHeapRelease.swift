internal import CLedgeProcess
internal import Dispatch
internal import LedgeCore
internal import Logging

extension ModelRepository {
    /// Gives the heap's free memory back to the system (``ledge_release_free_heap``) once the
    /// server has served inference requests and then finished none for `idle` (looked at every
    /// quarter of it); returns when the task is cancelled.
    ///
    /// What requests free (bodies, decoded photos, tensors) stays in glibc's per-thread heaps, in
    /// holes only a trim returns (the top of a thread's heap it leaves): a server that served a
    /// burst would keep that memory until the next. A trim takes the heaps' locks for a
    /// millisecond or so, so it runs only when the server is idle, once per burst: a request that
    /// comes during one waits for it.
    public func runIdleHeapRelease(after idle: Duration) async {
        var schedule = IdleReleaseSchedule(idle: idle, count: finishedRequests, now: .now)
        while !Task.isCancelled {
            do { try await Task.sleep(for: idle / 4) } catch { return }
            guard schedule.shouldRelease(count: finishedRequests, now: .now) else { continue }
            let logger = self.logger
            // Off the cooperative pool: the trim blocks its thread while it walks the heaps.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    Self.releaseFreeHeap(idle: idle, logger: logger)
                    continuation.resume()
                }
            }
        }
    }

    /// Model runs and inference requests finished (succeeded or failed) by every model loaded
    /// now: it changes as long as requests keep finishing.
    private var finishedRequests: UInt64 {
        metrics.statistics().reduce(0) { $0 &+ $1.executionCount &+ $1.success.count &+ $1.fail.count }
    }

    private static func releaseFreeHeap(idle: Duration, logger: Logger) {
        let before = ProcFile.residentBytes()
        let start = ContinuousClock.now
        let returned = ledge_release_free_heap() == 1
        let took = ContinuousClock.now - start
        let after = ProcFile.residentBytes()
        logger.debug(
            "idle for \(idle): \(returned ? "freed heap returned" : "no freed heap to return") to the system, resident \(before >> 20) → \(after >> 20) MB, in \(took)"
        )
    }
}

/// When ``ModelRepository/runIdleHeapRelease(after:)`` gives the heap back: once after each change
/// of the activity count (finished requests), when the count has then stood still for `idle`.
struct IdleReleaseSchedule {
    let idle: Duration
    private var count: UInt64
    private var changed: ContinuousClock.Instant
    /// Nothing to release before the first change.
    private var released = true

    init(idle: Duration, count: UInt64, now: ContinuousClock.Instant) {
        self.idle = idle
        self.count = count
        changed = now
    }

    /// Whether to release now, the activity count being `count` at `now`.
    mutating func shouldRelease(count: UInt64, now: ContinuousClock.Instant) -> Bool {
        if count != self.count {
            (self.count, changed, released) = (count, now, false)
            return false
        }
        guard !released, now - changed >= idle else { return false }
        released = true
        return true
    }
}
