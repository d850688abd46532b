import Dispatch
@testable import LedgeTesting
import Synchronization
import Testing

/// The trait that keeps blocking tests off Swift's shared pool.
@Suite(.ownThread) struct OwnThreadTraitTests {
    @Test func bodiesRunOnTheExecutorsThreads() async throws {
        #expect(ElasticExecutor.currentThreadName() == ElasticExecutor.threadName)
        try await Task.sleep(for: .milliseconds(1))
        #expect(ElasticExecutor.currentThreadName() == ElasticExecutor.threadName, "after a suspension too")
    }

    private static func signal(_ semaphore: DispatchSemaphore) async -> String {
        semaphore.signal()
        return ElasticExecutor.currentThreadName()
    }

    /// A child task runs while its parent blocks its thread: on one thread per test, or on a busy
    /// two-thread pool, this would wait out the 60 s (a hang guard, not a speed bound).
    @Test func aBlockedTestDoesNotHoldBackItsChildTasks() async {
        let started = DispatchSemaphore(value: 0)
        async let child = Self.signal(started)
        #expect(started.wait(timeout: .now() + 60) == .success)
        #expect(await child == ElasticExecutor.threadName)
    }
}

/// AsyncSlots, the limit on how many of those tests run at once.
@Suite struct AsyncSlotsTests {
    @Test func neverMoreHoldersThanSlotsAndEveryWaiterGetsOne() async {
        let slots = AsyncSlots(3)
        final class Tally: Sendable {
            let counts = Mutex((now: 0, most: 0, done: 0))
        }
        let tally = Tally()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await slots.acquire()
                    tally.counts.withLock {
                        $0.now += 1
                        $0.most = max($0.most, $0.now)
                    }
                    await Task.yield()
                    try? await Task.sleep(for: .milliseconds(2))
                    tally.counts.withLock {
                        $0.now -= 1
                        $0.done += 1
                    }
                    slots.release()
                }
            }
        }
        let final = tally.counts.withLock { $0 }
        #expect(final.most == 3, "at most three at once, and three were reached")
        #expect(final.done == 20)
        #expect(final.now == 0)
    }
}
