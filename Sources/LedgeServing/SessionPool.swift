internal import DequeModule
internal import Dispatch
internal import LedgeCore
internal import LedgeEngine
internal import Synchronization

/// The instances of one model, and which request runs on which.
///
/// A request borrows one instance (never shared by two requests at once) and
/// runs on that instance's own thread, off the event loop; when none may run,
/// requests wait in a bounded FIFO queue, and past its limit are refused with
/// a ``LedgeError`` of code ``LedgeError/Code/busy``.
///
/// The pool counts cores: each run keeps its instance's ``ModelInstance/threads``
/// busy, and runs start only while their threads fit in ``capacity`` (the sum
/// of the ``narrow`` instances' threads), so runs never oversubscribe the
/// cores the pool was given. With a ``wide`` instance (as many threads as the
/// capacity) a request that finds the pool idle and nobody behind it runs on all
/// cores; under load every request runs on a one-thread narrow instance, one per core.
///
/// A pool can start with fewer instances than it will have (the server becomes
/// ready on a model's first instance): the rest are ``add(_:wide:)``ed as they
/// open; until the wide one joins, a lone request runs on a narrow one.
public final class SessionPool: Sendable {
    private struct Waiter {
        var ticket: UInt64
        var continuation: CheckedContinuation<ModelInstance, any Error>
    }

    private struct State: ~Copyable {
        var free: [ModelInstance]
        /// The wide instance, once open.
        var wide: ModelInstance?
        var wideFree: Bool
        var counters: PoolCounters
        /// Every narrow instance added so far, free or borrowed.
        var narrow: [ModelInstance]
        /// Instances still expected (opening).
        var expected: Int
        /// Requests waiting for an instance, first come first served.
        var waiters = Deque<Waiter>()
        var nextTicket: UInt64 = 0
        /// Callers of ``complete()`` waiting for the expected instances.
        var completions: [CheckedContinuation<Void, Never>] = []
        /// Why runs are interrupted (``interrupt(reason:)``); `nil`: they are not.
        var interruption: String?
        /// How to fail the callers of the runs under way on instances' threads, by ticket.
        var runs: [UInt64: @Sendable (any Error) -> Void] = [:]
    }

    /// The model's name, for errors.
    public let modelName: String
    /// How many threads may run at once: the narrow instances' threads, those
    /// still expected included.
    public let capacity: Int
    /// How many requests may wait for an instance before new ones get 503.
    public let queueLimit: Int
    /// How many runs may happen at once once every expected instance is open (the narrow instances).
    public let slots: Int
    private let state: Mutex<State>

    /// A pool over `instances` with a wait queue of `queueLimit`, and a `wide`
    /// instance for lone requests (its threads are capped by the capacity the
    /// narrow instances define). `expecting` are the threads of narrow instances
    /// still opening and `expectingWide` whether the wide one is too, to be
    /// ``add(_:wide:)``ed (or ``abandon()``ed) later.
    public init(
        modelName: String, instances: [ModelInstance], wide: ModelInstance? = nil, queueLimit: Int, expecting: [Int] = [],
        expectingWide: Bool = false
    ) {
        self.modelName = modelName
        self.capacity = instances.reduce(0) { $0 + $1.threads } + expecting.reduce(0) { $0 + max($1, 1) }
        self.slots = instances.count + expecting.count
        self.queueLimit = max(queueLimit, 0)
        self.state = Mutex(
            State(
                free: instances.reversed(), wide: wide, wideFree: wide != nil, counters: PoolCounters(capacity: capacity),
                narrow: instances, expected: expecting.count + (expectingWide ? 1 : 0)))
    }

    /// The instance a lone request runs on, with all of ``capacity``'s threads; `nil`: none (yet).
    public var wide: ModelInstance? { state.withLock { $0.wide } }

    /// The instances that run side by side under load (those open so far).
    public var narrow: [ModelInstance] { state.withLock { $0.narrow } }

    /// Every instance open so far, free or borrowed: the narrow ones, then the wide one.
    public var instances: [ModelInstance] { state.withLock { $0.narrow + ($0.wide.map { [$0] } ?? []) } }

    /// Instances still opening.
    public var expected: Int { state.withLock { $0.expected } }

    /// Interrupts the runs under way on the pool's instances (``InferenceSession/interrupt(reason:)``),
    /// and refuses the requests waiting for an instance and every later one with ``LedgeError/Code/busy``
    /// and `reason`. The callers of runs under way on instances' threads get that error at once: a
    /// kernel the runtime cannot stop (LiteRT's whole run, one of ONNX Runtime's) ends later, its
    /// instance coming back then. Returns how many runs were under way.
    @discardableResult
    public func interrupt(reason: String) -> Int {
        let (instances, waiters, runs, running) = state.withLock { state in
            state.interruption = reason
            defer {
                state.waiters = []
                state.runs = [:]
            }
            return (state.narrow + (state.wide.map { [$0] } ?? []), state.waiters, Array(state.runs.values), state.counters.running)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: LedgeError(.busy, reason)) }
        for instance in instances { instance.session.interrupt(reason: reason) }
        for run in runs { run(LedgeError(.busy, reason)) }
        return running
    }

    /// Adds an instance that has opened (the `wide` one, else a narrow one), and gives it to whoever waits.
    public func add(_ instance: ModelInstance, wide: Bool = false) {
        let (granted, completions) = state.withLock { state in
            if wide {
                state.wide = instance
                state.wideFree = true
            } else {
                state.narrow.append(instance)
                state.free.insert(instance, at: 0)
            }
            state.expected = max(state.expected - 1, 0)
            return (grant(&state), finished(&state))
        }
        for (waiter, next) in granted { waiter.continuation.resume(returning: next) }
        for completion in completions { completion.resume() }
    }

    /// Stops expecting an instance that failed to open.
    public func abandon() {
        let completions = state.withLock { state in
            state.expected = max(state.expected - 1, 0)
            return finished(&state)
        }
        for completion in completions { completion.resume() }
    }

    /// Returns once no instance is expected any more (every one added or abandoned).
    public func complete() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { state in
                guard state.expected > 0 else { return true }
                state.completions.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func finished(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.expected == 0 else { return [] }
        defer { state.completions = [] }
        return state.completions
    }

    /// What the pool has done: runs per kind of instance, threads busy now and at most.
    public var counters: PoolCounters { state.withLock { $0.counters } }

    /// Starts the peaks of ``counters`` again from what is busy now.
    public func resetPeaks() {
        state.withLock { state in
            state.counters.peakThreadsBusy = state.counters.threadsBusy
            state.counters.peakRunning = state.counters.running
        }
    }

    /// How many requests wait for an instance now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Runs whose last run took at most this long execute inline on the
    /// request's task: for a tiny model the two thread hops to the instance's
    /// thread and back cost more than the inference itself.
    public static let inlineLimit: Duration = .microseconds(200)

    /// Borrows an instance, runs `body` on its thread (off the Swift concurrency
    /// pool and the event loops; inline when its last run took at most
    /// ``inlineLimit``), and gives the instance back.
    /// A request still waiting when its `deadline` passes leaves the queue with ``QueueDeadline``'s error.
    /// A DELAY deadline does not end the wait here (the pool's queue has no levels to go behind).
    public func run<T: Sendable>(deadline: QueueDeadline? = nil, _ body: @escaping @Sendable (ModelInstance) throws -> T) async throws -> T {
        let instance = try await borrow(deadline: deadline?.delays == true ? nil : deadline)
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
            defer { giveBack(instance) }
            return try timed()
        }
        return try await withCheckedThrowingContinuation { continuation in
            // The caller is resumed once: by the run's end, or by ``interrupt(reason:)`` before it.
            let caller = RunCaller(continuation)
            let claimed: Result<UInt64, LedgeError> = state.withLock { state in
                if let reason = state.interruption { return .failure(LedgeError(.busy, reason)) }
                state.nextTicket &+= 1
                state.runs[state.nextTicket] = { caller.resume(with: .failure($0)) }
                return .success(state.nextTicket)
            }
            let ticket: UInt64
            switch claimed {
            case .success(let number): ticket = number
            case .failure(let refusal):
                giveBack(instance)
                return caller.resume(with: .failure(refusal))
            }
            instance.thread.async { [self] in
                let result = Result { try timed() }
                state.withLock { _ = $0.runs.removeValue(forKey: ticket) }
                giveBack(instance)  // only once the run ended: the instance is not shared
                caller.resume(with: result)
            }
        }
    }

    private enum Claim {
        case got(ModelInstance)
        case full(Int)
        case refused(String)
        case wait
    }

    private func borrow(deadline: QueueDeadline?) async throws -> ModelInstance {
        let claim: Claim = state.withLock { state in
            if let reason = state.interruption { return .refused(reason) }
            if state.waiters.isEmpty, let instance = take(&state, alone: true) { return .got(instance) }
            if state.waiters.count >= queueLimit { return .full(state.waiters.count) }
            return .wait
        }
        switch claim {
        case .got(let instance): return instance
        case .full(let count): throw LedgeError.busy(model: modelName, waiting: count, limit: queueLimit)
        case .refused(let reason): throw LedgeError(.busy, reason)
        case .wait: break
        }
        let ticket = state.withLock { state in
            state.nextTicket &+= 1
            return state.nextTicket
        }
        // The queue timeout: the waiter leaves the queue when it rings (set before the waiter is
        // queued, it finds it there: a deadline already passed is refused below instead).
        let alarm = deadline.map { deadline in deadline.alarm { [self] in leave(ticket, with: deadline.error(model: modelName)) } }
        defer { alarm?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Outcome { case queued, got(ModelInstance), full(Int), refused(String), cancelled, expired(QueueDeadline) }
                let outcome: Outcome = state.withLock { state in
                    if let reason = state.interruption { return .refused(reason) }
                    // An instance may have come back between the two locks.
                    if state.waiters.isEmpty, let instance = take(&state, alone: true) { return .got(instance) }
                    if Task.isCancelled { return .cancelled }
                    if let deadline, deadline.passed() { return .expired(deadline) }
                    if state.waiters.count >= queueLimit { return .full(state.waiters.count) }
                    state.waiters.append(Waiter(ticket: ticket, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .queued: break
                case .got(let instance): continuation.resume(returning: instance)
                case .full(let count):
                    continuation.resume(throwing: LedgeError.busy(model: modelName, waiting: count, limit: queueLimit))
                case .refused(let reason): continuation.resume(throwing: LedgeError(.busy, reason))
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .expired(let deadline): continuation.resume(throwing: deadline.error(model: modelName))
                }
            }
        } onCancel: {
            // A cancelled request leaves the queue at once instead of waiting for its turn.
            leave(ticket, with: CancellationError())
        }
    }

    /// Takes the waiter of `ticket` out of the queue, if it still waits, and resumes it with `error`.
    private func leave(_ ticket: UInt64, with error: any Error) {
        let removed: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.ticket == ticket }) else { return nil }
            return state.waiters.remove(at: index)
        }
        removed?.continuation.resume(throwing: error)
    }

    /// Takes the instance the next request runs on, if its threads fit: the wide
    /// one when the request is `alone` (nobody waits behind it) and the pool is
    /// idle, else a free narrow one.
    private func take(_ state: inout State, alone: Bool) -> ModelInstance? {
        let instance: ModelInstance
        if alone || state.narrow.isEmpty, let wide = state.wide, state.wideFree, state.counters.threadsBusy == 0 {
            state.wideFree = false
            state.counters.wideRuns += 1
            instance = wide
        } else if let index = state.free.lastIndex(where: { $0.threads <= capacity - state.counters.threadsBusy }) {
            instance = state.free.remove(at: index)
            state.counters.narrowRuns += 1
        } else {
            return nil
        }
        state.counters.threadsBusy += min(instance.threads, capacity)
        state.counters.running += 1
        state.counters.peakThreadsBusy = max(state.counters.peakThreadsBusy, state.counters.threadsBusy)
        state.counters.peakRunning = max(state.counters.peakRunning, state.counters.running)
        return instance
    }

    private func giveBack(_ instance: ModelInstance) {
        let granted: [(Waiter, ModelInstance)] = state.withLock { state in
            if instance === state.wide { state.wideFree = true } else { state.free.append(instance) }
            state.counters.threadsBusy -= min(instance.threads, capacity)
            state.counters.running -= 1
            return grant(&state)
        }
        for (waiter, next) in granted { waiter.continuation.resume(returning: next) }
    }

    /// Takes instances for the waiters at the head of the queue while their threads fit.
    private func grant(_ state: inout State) -> [(Waiter, ModelInstance)] {
        var granted: [(Waiter, ModelInstance)] = []
        while !state.waiters.isEmpty, let next = take(&state, alone: state.waiters.count == 1) {
            granted.append((state.waiters.removeFirst(), next))
        }
        return granted
    }
}

/// The caller of a run on an instance's thread, resumed once (by the run, or by an interruption first).
private final class RunCaller<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    func resume(with result: Result<T, any Error>) {
        let taken = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        taken?.resume(with: result)
    }
}

/// What a ``SessionPool`` has done, from its own counts.
public struct PoolCounters: Sendable, Equatable {
    /// Threads the pool may keep busy at once.
    public var capacity: Int
    /// Threads of the runs in progress now.
    public var threadsBusy = 0
    /// The most threads busy at once since the pool was made (or ``SessionPool/resetPeaks()``).
    public var peakThreadsBusy = 0
    /// Runs in progress now.
    public var running = 0
    /// The most runs at once.
    public var peakRunning = 0
    /// Runs on the wide instance (lone requests on all cores).
    public var wideRuns = 0
    /// Runs on narrow instances.
    public var narrowRuns = 0

    public init(capacity: Int) { self.capacity = capacity }
}
