internal import Synchronization

/// Counts the steps of a packaging run and reports each to a sink (the CLI
/// draws a bar on a terminal); thread-safe, since platforms build in parallel.
public final class Progress: Sendable {
    /// Called with (steps done, steps known, what is being done).
    public typealias Sink = @Sendable (_ done: Int, _ total: Int, _ message: String) -> Void

    private let state = Mutex<(done: Int, total: Int)>((0, 0))
    private let sink: Sink?

    public init(sink: Sink?) { self.sink = sink }

    /// Announces `count` more steps.
    func expect(_ count: Int) { state.withLock { $0.total += count } }

    /// Starts a step.
    func step(_ message: String) {
        let (done, total) = state.withLock { s -> (Int, Int) in
            s.done += 1
            return (s.done, max(s.total, s.done))
        }
        sink?(done, total, message)
    }
}
