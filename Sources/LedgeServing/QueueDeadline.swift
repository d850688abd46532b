internal import LedgeCore

/// When a request still waiting for an instance (or a batch) gives up: its queue timeout,
/// from the request's `timeout` parameter and the model's `default_queue_policy`
/// (``QueuePolicyConfig/timeout(requested:policy:)``). A request that has started runs to its end.
public struct QueueDeadline: Sendable {
    /// The moment the wait ends.
    public var instant: ContinuousClock.Instant
    /// The timeout, for the error.
    public var microseconds: Int
    /// The policy's `timeout_action: DELAY`: at the deadline the request goes behind the others
    /// of its priority level (in a batcher's queue) instead of being refused.
    public var delays: Bool

    /// A deadline `microseconds` after `start`.
    public init(microseconds: Int, from start: ContinuousClock.Instant = .now, delays: Bool = false) {
        self.delays = delays
        self.microseconds = microseconds
        self.instant = start + .microseconds(microseconds)
    }

    /// Whether the wait is over at `now`.
    func passed(at now: ContinuousClock.Instant = .now) -> Bool { now >= instant }

    /// The refusal of a request whose deadline passed while it waited (503, gRPC UNAVAILABLE, as Triton's).
    func error(model: String) -> LedgeError {
        LedgeError(.busy, "model '\(model)' is busy: no instance was free within the request's timeout (\(microseconds) µs)")
    }

    /// Calls `expire` at the deadline unless the returned task is cancelled first (the request got its turn).
    func alarm(_ expire: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        let instant = instant
        return Task {
            try? await Task.sleep(until: instant, clock: .continuous)
            if !Task.isCancelled { expire() }
        }
    }
}

extension ServedModel {
    /// The queue deadline of a request that arrives now with its own `timeout` parameter
    /// (`requested`, microseconds; `nil` or 0: none) under the model's queue policy (its priority
    /// `level`'s own, when that has one).
    package func queueDeadline(requested: Int?, level: Int = 0) -> QueueDeadline? {
        let policy = priorities?.queuePolicy(level: level, default: queuePolicy) ?? queuePolicy
        return QueuePolicyConfig.timeout(requested: requested, policy: policy).map {
            QueueDeadline(microseconds: $0, delays: policy?.delays ?? false)
        }
    }

    /// The priority level a request's `priority` parameter puts it at: 0 (one level) when the
    /// model has no priority levels.
    package func level(priority: Int?) -> Int { priorities?.level(priority: priority) ?? 0 }
}
