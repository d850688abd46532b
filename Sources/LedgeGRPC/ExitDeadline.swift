internal import GRPCCore
internal import Synchronization

/// The moment a draining server's exit timeout passes (Triton's `--exit-timeout-secs`): a
/// ModelStreamInfer stream still open then ends UNAVAILABLE with the words HTTP's 503 carries, before
/// the transport closes its connection, instead of a client seeing the socket closed under it.
package final class ExitDeadline: Sendable {
    private struct State {
        /// Why the calls end, once the deadline passed.
        var reason: String?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they registered.
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Ends every race still open with UNAVAILABLE and `reason`; the races that begin later too.
    package func pass(reason: String) {
        let waiters = state.withLock { state in
            state.reason = state.reason ?? reason
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Why calls end, once ``pass(reason:)`` was called; `nil` before.
    package var reason: String? { state.withLock { $0.reason } }

    /// `work`'s result, or UNAVAILABLE with the reason once the deadline passes (`work` is then
    /// cancelled, and awaited: a model run under way is interrupted by the repository meanwhile).
    func race<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                await self.passed()
                return nil
            }
            defer { group.cancelAll() }
            if case .some(.some(let value)) = try await group.next() { return value }
            if let reason { throw RPCError(code: .unavailable, message: reason) }
            throw CancellationError()
        }
    }

    /// Returns once the deadline passes, or when the task is cancelled.
    private func passed() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.reason != nil || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    // Not registered yet, it will see this (once the deadline passed, it never registers).
                    if state.reason == nil { state.cancelled.insert(id) }
                    return nil as CheckedContinuation<Void, Never>?
                }
                return waiter
            }
            waiter?.resume()
        }
    }
}
