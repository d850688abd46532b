internal import Dispatch
internal import LedgeCore
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Opening of the instances a model left for after it became ready (see
/// ``RepositoryOptions/readyOnFirstInstance``). While closed, the openings
/// wait, so they do not take the cores from the loads and the server start
/// that readiness waits for; once open, they start at once, each on a thread of its own.
final class InstanceGrowth: Sendable {
    private struct State {
        var open: Bool
        var waiting: [@Sendable () -> Void] = []
        /// ``close()``: openings not yet begun are skipped.
        var closed = false
        /// Openings under way (inside the runtime).
        var running = 0
    }

    private let state: Mutex<State>
    /// Openings at once, across models: as many as cores (they share them with the serving).
    private let openings: DispatchSemaphore

    init(open: Bool, cores: Int) {
        state = Mutex(State(open: open))
        openings = DispatchSemaphore(value: max(cores, 1))
    }

    /// Runs `body` (one instance's opening) once fewer than `cores` others are running; `nil`
    /// without running it once ``close()`` was called.
    func opening<T>(_ body: () -> T) -> T? {
        openings.wait()
        defer { openings.signal() }
        let begins = state.withLock { state in
            if !state.closed { state.running += 1 }
            return !state.closed
        }
        guard begins else { return nil }
        defer { state.withLock { $0.running -= 1 } }
        return body()
    }

    /// No more openings begin (the server is shutting down: an instance opened now would only
    /// hold its exit); jobs waiting for ``open()`` start, to skip theirs and tell their pools.
    func close() {
        let jobs = state.withLock { state in
            state.closed = true
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for job in jobs { DedicatedThread.start(job) }
    }

    /// Waits until no opening is under way, at most `timeout`; whether none is. A process must not
    /// exit while a thread is inside the runtime: its static objects would be destroyed under it.
    func waitForOpenings(timeout: Duration) -> Bool {
        waitUntil(timeout: timeout) { state.withLock { $0.running == 0 } }
    }

    /// Runs `job` on a thread of its own now, or once ``open()`` is called.
    func submit(_ job: @escaping @Sendable () -> Void) {
        let now: Bool = state.withLock { state in
            if !state.open { state.waiting.append(job) }
            return state.open
        }
        if now { DedicatedThread.start(job) }
    }

    /// Starts every waiting job, and every later one at once.
    func open() {
        let jobs = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for job in jobs { DedicatedThread.start(job) }
    }
}

/// Checks `done` every 5 ms until it holds, at most `timeout`; whether it held. For a process that
/// is shutting down and must not exit while a thread is inside a runtime (no one to signal it).
func waitUntil(timeout: Duration, _ done: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !done() {
        guard ContinuousClock.now < deadline else { return false }
        usleep(5_000)
    }
    return true
}
