#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import LedgeCore
internal import Synchronization

/// The connections the server holds open at once, over HTTP and gRPC together
/// (`--max-connections`), and the listeners waiting for one of them to close.
///
/// The limit also keeps the process clear of its open-file limit, which it must never reach:
/// libdispatch (under Swift's concurrency pool) checks its worker threads once a second by opening
/// `/proc/PID/stat` for each, and when that open fails it stops the process ("workq: registered
/// worker exited prematurely", SIGILL). So a connection past the budget waits in the listen
/// backlog, and ``descriptorReserve`` descriptors stay free for everything else.
public final class ConnectionBudget: Sendable {
    /// Descriptors kept free for model files, runtime threads, probes, logs and libdispatch.
    public static let descriptorReserve = 132

    /// The most connections open at once.
    public let limit: Int
    private let state: Mutex<State>

    /// A listening socket's hooks: stop accepting, accept again (each called on any thread).
    package struct Listener: Sendable {
        package let pause: @Sendable () -> Void
        package let resume: @Sendable () -> Void

        package init(pause: @escaping @Sendable () -> Void, resume: @escaping @Sendable () -> Void) {
            self.pause = pause
            self.resume = resume
        }
    }

    private struct State {
        var open = 0
        var listeners: [Int: Listener] = [:]
        var nextListener = 0
    }

    public init(limit: Int) {
        self.limit = max(limit, 1)
        self.state = Mutex(State())
    }

    /// The fewest connections a server is started with.
    public static let minimumConnections = 16

    /// The budget of this process: `requested` connections (`--max-connections`), or without it
    /// as many as the open-file limit allows (after raising the soft limit to the hard one) less
    /// ``descriptorReserve``, and never more than that. `note` says why a request was lowered.
    /// Throws a usage error when the limit leaves fewer than ``minimumConnections``.
    public static func forProcess(requested: Int?) throws -> (budget: ConnectionBudget, note: String?) {
        let descriptors = raiseDescriptorLimit()
        guard descriptors >= descriptorReserve + minimumConnections else {
            throw LedgeError.usage(
                "the open-file limit is \(descriptors) descriptors (ulimit -n): ledge serve needs at least "
                    + "\(descriptorReserve + minimumConnections), \(descriptorReserve) for model files, threads and logs "
                    + "and \(minimumConnections) for connections")
        }
        let allowed = allowedConnections(descriptors: descriptors)
        guard let requested, requested > allowed else { return (ConnectionBudget(limit: requested ?? allowed), nil) }
        let note =
            "--max-connections \(requested) is more than the open-file limit allows (\(descriptors) descriptors, "
            + "\(descriptorReserve) of them kept for model files, threads and logs): at most \(allowed) connections at once; "
            + "raise the limit (ulimit -n) to serve more"
        return (ConnectionBudget(limit: allowed), note)
    }

    /// Connections a process allowed `descriptors` open files may hold.
    public static func allowedConnections(descriptors: Int) -> Int { max(descriptors - descriptorReserve, 1) }

    /// Connections open now.
    public var open: Int { state.withLock { $0.open } }

    /// Whether a connection may be accepted now.
    package var hasRoom: Bool { state.withLock { $0.open < limit } }

    /// Adds a listening socket, paused at once when the budget is spent; returns its key for ``remove(listener:)``.
    package func add(listener: Listener) -> Int {
        let (key, full) = state.withLock { state in
            defer { state.nextListener += 1 }
            state.listeners[state.nextListener] = listener
            return (state.nextListener, state.open >= limit)
        }
        if full { listener.pause() }
        return key
    }

    /// Forgets a listening socket (it closed).
    package func remove(listener key: Int) { _ = state.withLock { $0.listeners.removeValue(forKey: key) } }

    /// Takes a place for a connection if one is left; the last place pauses every listener (each
    /// may have a read under way, which would accept more; those wait for a place).
    package func tryOpen() -> Bool {
        let (taken, pause) = state.withLock { state -> (Bool, [Listener]) in
            guard state.open < limit else { return (false, []) }
            state.open += 1
            return (true, state.open == limit ? Array(state.listeners.values) : [])
        }
        for listener in pause { listener.pause() }
        return taken
    }

    /// A connection closed; the first room after a spent budget resumes every listener.
    package func closed() {
        let resume = state.withLock { state in
            state.open -= 1
            return state.open == limit - 1 ? Array(state.listeners.values) : []
        }
        for listener in resume { listener.resume() }
    }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force.
package func raiseDescriptorLimit() -> Int {
    #if os(Linux)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(resource, &raised) == 0 { limit = raised }
    }
    return Int(clamping: limit.rlim_cur)
}
