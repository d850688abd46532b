internal import Synchronization

/// Holds the gRPC server back until the HTTP server listens (`ledge serve`): when the HTTP port
/// cannot be bound, the group stops before the gRPC transport has made its listening channel, so
/// no channel is closed while NIO registers it (a debug build asserts there; `HandoverTests` met it
/// once in four runs when the second server's HTTP bind failed).
final class ListenGate: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Bool, Never>])
        case settled(Bool)
    }

    private let state = Mutex(State.waiting([]))

    /// Lets ``wait()`` return `true`.
    func open() { settle(true) }

    /// Makes ``wait()`` return `false` (shut down before it opened).
    func close() { settle(false) }

    /// Whether the gate opened; `false` when it was closed or the task cancelled first.
    func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let settled: Bool? = state.withLock { state in
                    switch state {
                    case .settled(let value): return value
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let settled { continuation.resume(returning: settled) }
            }
        } onCancel: {
            close()
        }
    }

    private func settle(_ value: Bool) {
        let waiters: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .settled(value)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }
}
