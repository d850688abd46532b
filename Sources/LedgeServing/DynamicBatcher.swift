public import LedgeCore
public import Logging
internal import Synchronization

/// One request's share of a batch run by a ``DynamicBatcher``.
public struct BatchedExecution: Sendable {
    /// The request's rows of every output, in ``ModelInfo/outputs`` order.
    public var outputs: [Tensor]
    /// From the request's arrival to the start of its batch's run.
    public var queued: Duration
    /// The batch's session run.
    public var compute: Duration
    /// Items (first-dimension rows) in the batch the request ran in.
    public var batchSize: Int
    /// Whether the request came first in its batch: the one that counts the
    /// batch's execution, so a batch is counted once.
    public var countsExecution: Bool
}

/// Triton-style dynamic batching for one model: requests wait in a queue and
/// run together as one batch, concatenated along their first dimension, on a
/// free instance of the model's ``SessionPool``; each gets its rows of the
/// outputs back. When a batch closes is ``BatchingPolicy``'s (see
/// ``BatchQueue``); no batch is formed while every instance is busy, so
/// batches grow under load and an idle model with no delay runs a request at once.
///
/// Past `queueLimit` waiting requests with every instance busy, new requests
/// are refused with ``LedgeError/Code/busy``; a cancelled request leaves the
/// queue at once. Batches run on the instances' queues, never on an event loop.
public final class DynamicBatcher: Sendable {
    private struct Request: Sendable {
        var inputs: [Tensor]
        var continuation: CheckedContinuation<BatchedExecution, any Error>
    }
    private typealias Entry = BatchQueue<Request>.Entry

    private struct State: ~Copyable {
        var queue = BatchQueue<Request>()
        /// Batches handed to the pool and not finished.
        var running = 0
        /// When the pending wake-up rings, `nil` when none is pending.
        var alarm: ContinuousClock.Instant?
        var nextTicket: UInt64 = 0
        /// `false` once a batch's outputs were found not to split by rows.
        var batching = true
    }

    /// The model's name, for errors and logs.
    public let modelName: String
    /// When batches close.
    public let policy: BatchingPolicy
    /// The instances batches run on.
    public let pool: SessionPool
    /// How many requests may wait, every instance busy, before new ones are refused.
    public let queueLimit: Int
    /// How many requests of a priority level may wait, for the levels whose own queue policy sets
    /// `max_queue_size` (within ``queueLimit``).
    public let levelLimits: [Int: Int]
    private let logger: Logger
    private let state = Mutex(State())
    /// The session that checks inputs (any instance's: they are of one model), taken once.
    private let checker: (any InferenceSession)?

    /// A batcher over `pool` with `policy`.
    public init(modelName: String, pool: SessionPool, policy: BatchingPolicy, queueLimit: Int, levelLimits: [Int: Int] = [:], logger: Logger) {
        self.levelLimits = levelLimits
        self.modelName = modelName
        self.pool = pool
        self.policy = policy
        self.queueLimit = max(queueLimit, 0)
        self.logger = logger
        self.checker = pool.instances.first?.session
    }

    /// How many requests wait for a batch now.
    public var waiting: Int { state.withLock { $0.queue.count } }

    /// Runs `inputs` in a batch with other requests: this request's outputs,
    /// its wait and the batch's run. Inputs the model refuses are refused here,
    /// before they can spoil a batch.
    /// A request still waiting when its `deadline` passes leaves the queue with ``QueueDeadline``'s error.
    /// `level`: its priority level (see ``BatchQueue``): lower levels are batched first.
    public func infer(_ inputs: [Tensor], deadline: QueueDeadline? = nil, level: Int = 0) async throws -> BatchedExecution {
        try checker?.validate(inputs)
        let keyed = BatchKey.of(inputs)
        let arrived = ContinuousClock.now
        let ticket = state.withLock { state in
            state.nextTicket &+= 1
            return state.nextTicket
        }
        // The queue timeout: a request not yet in a batch when it rings leaves the queue (REJECT)
        // or goes behind the others of its level (DELAY).
        let alarm = deadline.map { deadline in
            deadline.alarm { [self] in
                if deadline.delays { delay(ticket) } else { leave(ticket, with: deadline.error(model: modelName)) }
            }
        }
        defer { alarm?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal: (any Error)? = state.withLock { state in
                    if Task.isCancelled { return CancellationError() }
                    let late = deadline.map { $0.passed() } ?? false
                    if let deadline, late, !deadline.delays { return deadline.error(model: modelName) }
                    if state.running >= pool.slots {
                        if state.queue.count >= queueLimit {
                            return LedgeError.busy(model: modelName, waiting: state.queue.count, limit: queueLimit)
                        }
                        if let limit = levelLimits[level], case let waiting = state.queue.count(level: level), waiting >= limit {
                            return LedgeError.busy(model: modelName, level: level, waiting: waiting, limit: limit)
                        }
                    }
                    state.queue.append(
                        Entry(
                            ticket: ticket, key: state.batching ? keyed?.key : nil, items: keyed?.items ?? 1,
                            enqueued: arrived, payload: Request(inputs: inputs, continuation: continuation), level: level, delayed: late))
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) } else { schedule() }
            }
        } onCancel: {
            // A cancelled request leaves the queue at once; one already in a batch runs to the end.
            leave(ticket, with: CancellationError())
        }
    }

    /// Moves the request of `ticket` behind the others of its level, if it is not in a batch yet.
    private func delay(_ ticket: UInt64) {
        if state.withLock({ $0.queue.delay(ticket: ticket) }) { schedule() }
    }

    /// Takes the request of `ticket` out of the queue, if it is not in a batch yet, and resumes it with `error`.
    private func leave(_ ticket: UInt64, with error: any Error) {
        let removed = state.withLock { $0.queue.remove(ticket: ticket) }
        removed?.payload.continuation.resume(throwing: error)
    }

    /// Starts every batch that is ready while an instance is free, and sets a
    /// wake-up for when the next one will be when none is.
    private func schedule() {
        let slots = pool.slots
        let (batches, alarm) = state.withLock { state -> ([[Entry]], ContinuousClock.Instant?) in
            var batches: [[Entry]] = []
            while state.running < slots, let decision = state.queue.next(policy: policy, now: .now) {
                switch decision {
                case .send(let batch):
                    state.running += 1
                    batches.append(batch)
                case .wait(let until):
                    // An earlier wake-up still pending will schedule this one when it rings.
                    guard state.alarm.map({ until < $0 }) ?? true else { return (batches, nil) }
                    state.alarm = until
                    return (batches, until)
                }
            }
            return (batches, nil)
        }
        for batch in batches { Task { await execute(batch) } }
        if let alarm {
            Task {
                try? await Task.sleep(until: alarm, clock: .continuous)
                state.withLock { state in if state.alarm == alarm { state.alarm = nil } }
                schedule()
            }
        }
    }

    /// Runs `batch` on a free instance and hands each request its rows.
    private func execute(_ batch: [Entry]) async {
        let counts = batch.map(\.items)
        let inputs = batch.map(\.payload.inputs)
        do {
            let run = try await pool.run { instance in try Self.run(inputs, counts: counts, on: instance.session) }
            if let parts = run.parts {
                for (index, (entry, outputs)) in zip(batch, parts).enumerated() {
                    entry.payload.continuation.resume(
                        returning: BatchedExecution(
                            outputs: outputs, queued: run.started - entry.enqueued, compute: run.compute,
                            batchSize: counts.reduce(0, +), countsExecution: index == 0))
                }
            } else {
                await unbatch(batch, reason: run.problem)
            }
        } catch {
            for entry in batch { entry.payload.continuation.resume(throwing: error) }
        }
        state.withLock { $0.running -= 1 }
        schedule()
    }

    private struct Run: Sendable {
        /// Each request's outputs; `nil` when an output did not have the batch's rows.
        var parts: [[Tensor]]?
        var problem = ""
        var started: ContinuousClock.Instant
        var compute: Duration
    }

    /// Concatenates the requests' inputs, runs them, and splits the outputs by `counts`.
    private static func run(_ inputs: [[Tensor]], counts: [Int], on session: any InferenceSession) throws -> Run {
        let joined = inputs.count == 1 ? inputs[0] : try inputs[0].indices.map { i in try Tensor.concatenating(inputs.map { $0[i] }) }
        let started = ContinuousClock.now
        let outputs = try session.run(joined)
        var run = Run(parts: nil, started: started, compute: .now - started)
        if inputs.count == 1 {
            run.parts = [outputs]
            return run
        }
        let rows = counts.reduce(0, +)
        if let index = outputs.firstIndex(where: { $0.shape.first != rows }) {
            let shape = "[" + outputs[index].shape.map(String.init).joined(separator: ", ") + "]"
            run.problem = "output '\(session.info.outputs[index].name)' of a batch of \(rows) has shape \(shape)"
            return run
        }
        let pieces = try outputs.map { try $0.splitting(counts: counts) }
        run.parts = counts.indices.map { request in pieces.map { $0[request] } }
        return run
    }

    /// Turns batching off for good (the model's outputs do not have one row per
    /// item) and runs `batch`'s requests one at a time.
    private func unbatch(_ batch: [Entry], reason: String) async {
        let first = state.withLock { state in
            defer { state.batching = false }
            state.queue.runAlone()
            return state.batching
        }
        if first { logger.error("model '\(modelName)': \(reason): dynamic batching turned off, requests run one at a time") }
        for entry in batch {
            let inputs = entry.payload.inputs
            do {
                let run = try await pool.run { instance in try Self.run([inputs], counts: [entry.items], on: instance.session) }
                entry.payload.continuation.resume(
                    returning: BatchedExecution(
                        outputs: run.parts?.first ?? [], queued: run.started - entry.enqueued, compute: run.compute,
                        batchSize: entry.items, countsExecution: true))
            } catch {
                entry.payload.continuation.resume(throwing: error)
            }
        }
    }
}
