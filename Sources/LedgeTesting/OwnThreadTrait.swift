public import Testing
internal import CLedgeProcess
internal import Dispatch
internal import LedgeCore
internal import Synchronization

/// Runs a suite's tests on threads of their own instead of Swift concurrency's shared pool.
///
/// On Linux that pool has one thread per core (two on CI's machine) and grows only after its
/// threads have been blocked for a while. A test that blocks its thread — waiting for a child
/// process, a synchronous deploy over SSH, a model compile — or computes for long holds one of
/// those threads, and two such tests hold back every other test's tasks, the servers that live
/// tests talk to included: a live test then times out through no fault of its own (seen in CI
/// runs: HummingbirdTesting's client waits 20 s). Suites whose tests block take this trait.
/// At most ``limit`` of their tests run at once, as the pool used to limit them.
public struct OwnThreadTrait: SuiteTrait, TestTrait, TestScoping {
    /// How many of these tests run at once.
    public static let limit = 6

    public var isRecursive: Bool { true }

    /// Each test case, not the suite around them.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThreadTrait? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await Self.slots.acquire()
        defer { Self.slots.release() }
        try await withTaskExecutorPreference(ElasticExecutor.shared) { try await function() }
    }

    private static let slots = AsyncSlots(limit)
}

extension Trait where Self == OwnThreadTrait {
    /// Each test on threads of its own: for suites whose tests block their thread.
    public static var ownThread: Self { OwnThreadTrait() }
}

/// A task executor that runs each job on an idle thread of its own, starting one when none is
/// idle: a job that blocks never holds back another. Threads stay for the next jobs.
package final class ElasticExecutor: TaskExecutor, Sendable {
    static let shared = ElasticExecutor()

    private struct State {
        var jobs: [UnownedJob] = []
        var idle = 0
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let woken = state.withLock { state in
            state.jobs.append(job)
            guard state.idle > 0 else { return false }
            state.idle -= 1
            return true
        }
        if woken { wake.signal() } else { DedicatedThread.start { self.work() } }
    }

    /// The name of its threads, as `ps -L` and debuggers show them.
    package static let threadName = "ledge-test"

    /// The name of the calling thread.
    package static func currentThreadName() -> String {
        var name = [CChar](repeating: 0, count: 16)
        guard ledge_thread_name(&name) == 0 else { return "" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func work() {
        _ = ledge_name_thread(Self.threadName)
        while true {
            let job = state.withLock { state -> UnownedJob? in
                if state.jobs.isEmpty {
                    state.idle += 1
                    return nil
                }
                return state.jobs.removeFirst()
            }
            if let job { job.runSynchronously(on: asUnownedTaskExecutor()) } else { wake.wait() }
        }
    }
}

/// A counting semaphore for tasks: ``acquire()`` suspends, it never blocks a thread.
package final class AsyncSlots: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    package init(_ count: Int) { state = Mutex(State(free: count)) }

    package func acquire() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if ready { continuation.resume() }
        }
    }

    /// Hands the slot to the longest waiter, if any.
    package func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
