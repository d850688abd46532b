internal import DequeModule
internal import Dispatch
public import LedgeCore
public import LedgeEngine
internal import Synchronization

/// One loaded copy of a model: a session, its image classifier when the model
/// takes one image, and the serial queue its blocking runs execute on.
public final class ModelInstance: Sendable {
    /// The session; only ever used by the request that borrowed this instance.
    public let session: any InferenceSession
    /// The image pipeline on ``session``, `nil` when the model does not take one image.
    public let classifier: ImageClassifier?
    /// Why ``classifier`` is `nil`, to tell clients of the image endpoint.
    public let classifierError: String?
    fileprivate let queue: DispatchQueue
    /// How long the last run on this instance took; runs shorter than
    /// ``SessionPool/inlineLimit`` execute inline (see ``SessionPool/run(_:)``).
    fileprivate let lastRunNanoseconds = Atomic<Int64>(.max)

    /// An instance over `session`; `index` names its queue.
    public init(session: any InferenceSession, classifierOptions: ClassifierOptions = ClassifierOptions(), index: Int) {
        self.session = session
        do {
            self.classifier = try ImageClassifier(session: session, options: classifierOptions)
            self.classifierError = nil
        } catch let error as LedgeError {
            self.classifier = nil
            self.classifierError = error.message
        } catch {
            self.classifier = nil
            self.classifierError = String(describing: error)
        }
        self.queue = DispatchQueue(label: "ledge.instance.\(index)")
    }
}

/// N instances of one model. A request borrows one instance (never shared by
/// two requests at once) and runs on that instance's own queue, off the event
/// loop; when all are busy, requests wait in a bounded FIFO queue, and past its
/// limit are refused with a ``LedgeError`` of code ``LedgeError/Code/busy``.
public final class SessionPool: Sendable {
    private struct Waiter {
        var ticket: UInt64
        var continuation: CheckedContinuation<ModelInstance, any Error>
    }

    private struct State: ~Copyable {
        var free: [ModelInstance]
        /// Requests waiting for an instance, first come first served.
        var waiters = Deque<Waiter>()
        var nextTicket: UInt64 = 0
    }

    /// The model's name, for errors.
    public let modelName: String
    /// Every instance, free or borrowed.
    public let instances: [ModelInstance]
    /// How many requests may wait for an instance before new ones get 503.
    public let queueLimit: Int
    private let state: Mutex<State>

    /// A pool over `instances` (at least one) with a wait queue of `queueLimit`.
    public init(modelName: String, instances: [ModelInstance], queueLimit: Int) {
        self.modelName = modelName
        self.instances = instances
        self.queueLimit = max(queueLimit, 0)
        self.state = Mutex(State(free: instances.reversed()))
    }

    /// How many requests wait for an instance now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Runs whose last run took at most this long execute inline on the
    /// request's task: for a tiny model the two thread hops to the instance's
    /// queue and back cost more than the inference itself.
    public static let inlineLimit: Duration = .microseconds(200)

    /// Borrows an instance, runs `body` on its queue (off the Swift concurrency
    /// pool and the event loops; inline when its last run took at most
    /// ``inlineLimit``), and gives the instance back.
    public func run<T: Sendable>(_ body: @escaping @Sendable (ModelInstance) throws -> T) async throws -> T {
        let instance = try await borrow()
        defer { giveBack(instance) }
        let timed: @Sendable () throws -> T = {
            let start = ContinuousClock.now
            defer {
                let elapsed = (ContinuousClock.now - start).components
                instance.lastRunNanoseconds.store(
                    elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000,
                    ordering: .relaxed)
            }
            return try body(instance)
        }
        if instance.lastRunNanoseconds.load(ordering: .relaxed) <= Self.inlineLimit.components.attoseconds / 1_000_000_000 {
            return try timed()
        }
        return try await withCheckedThrowingContinuation { continuation in
            instance.queue.async {
                continuation.resume(with: Result { try timed() })
            }
        }
    }

    private enum Claim {
        case got(ModelInstance)
        case full(Int)
        case wait
    }

    private func borrow() async throws -> ModelInstance {
        let claim: Claim = state.withLock { state in
            if let instance = state.free.popLast() { return .got(instance) }
            if state.waiters.count >= queueLimit { return .full(state.waiters.count) }
            return .wait
        }
        switch claim {
        case .got(let instance): return instance
        case .full(let count): throw LedgeError.busy(model: modelName, waiting: count, limit: queueLimit)
        case .wait: break
        }
        let ticket = state.withLock { state in
            state.nextTicket &+= 1
            return state.nextTicket
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Outcome { case queued, got(ModelInstance), full(Int), cancelled }
                let outcome: Outcome = state.withLock { state in
                    // An instance may have come back between the two locks.
                    if let instance = state.free.popLast() { return .got(instance) }
                    if Task.isCancelled { return .cancelled }
                    if state.waiters.count >= queueLimit { return .full(state.waiters.count) }
                    state.waiters.append(Waiter(ticket: ticket, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .queued: break
                case .got(let instance): continuation.resume(returning: instance)
                case .full(let count):
                    continuation.resume(throwing: LedgeError.busy(model: modelName, waiting: count, limit: queueLimit))
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            // A cancelled request leaves the queue at once instead of waiting for its turn.
            let removed: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                return state.waiters.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    private func giveBack(_ instance: ModelInstance) {
        let waiter: Waiter? = state.withLock { state in
            guard let waiter = state.waiters.popFirst() else {
                state.free.append(instance)
                return nil
            }
            return waiter
        }
        waiter?.continuation.resume(returning: instance)
    }
}
