internal import Dispatch
internal import LedgeCore
internal import Synchronization

/// Opening of the instances a model left for after it became ready (see
/// ``RepositoryOptions/readyOnFirstInstance``). While closed, the openings
/// wait, so they do not take the cores from the loads and the server start
/// that readiness waits for; once open, they start at once, each on a thread of its own.
final class InstanceGrowth: Sendable {
    private struct State {
        var open: Bool
        var waiting: [@Sendable () -> Void] = []
    }

    private let state: Mutex<State>
    /// Openings at once, across models: as many as cores (they share them with the serving).
    private let openings: DispatchSemaphore

    init(open: Bool, cores: Int) {
        state = Mutex(State(open: open))
        openings = DispatchSemaphore(value: max(cores, 1))
    }

    /// Runs `body` (one instance's opening) once fewer than `cores` others are running.
    func opening<T>(_ body: () -> T) -> T {
        openings.wait()
        defer { openings.signal() }
        return body()
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
