internal import Dispatch
internal import Synchronization

/// Lines for a file descriptor, written by a thread of their own so that whoever logs never waits
/// for the reader.
///
/// `ledge serve` logs a line per request. Written from the request's task, a reader that stopped
/// reading standard error (a paused pipe, a terminal on hold, a logging driver that blocks) filled
/// the pipe after ~450 access lines, then held every request in `write(2)` on Swift's few pool
/// threads: the server stopped answering, health checks included. Here lines wait in memory, up to
/// `limit` bytes, while the descriptor takes none; past that they are dropped and counted, and one
/// warning says how many once the reader takes lines again. A line logged while the thread waits
/// goes out at once; under load one `write` every 2 ms carries the lines queued meanwhile.
public final class BackgroundLineWriter: Sendable {
    /// Standard error's, for servers (command-line tools write theirs directly, in order with their output).
    public static let standardError = BackgroundLineWriter(descriptor: 2)

    private struct State {
        var pending: [UInt8] = []
        var dropped = 0
        /// The thread waits for ``wake`` (nothing pending).
        var sleeping = false
        /// The thread is writing a batch taken out of `pending`.
        var writing = false
        /// Callers of ``flush(timeout:)`` waiting for everything to be written.
        var flushes: [DispatchSemaphore] = []
        /// ``stop()``: the thread ends once nothing is pending.
        var stopping = false
    }

    private let descriptor: Int32
    private let limit: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    /// Never signalled: the pause between batches.
    private let pause = DispatchSemaphore(value: 0)

    /// A writer to `descriptor` holding at most `limit` bytes of lines it could not write yet.
    public init(descriptor: Int32, limit: Int = 1 << 20) {
        self.descriptor = descriptor
        self.limit = limit
        DedicatedThread.start { [self] in run() }
    }

    /// Queues `line` (with its newline); drops it when `limit` bytes already wait.
    public func write(_ line: String) {
        let signal = state.withLock { state -> Bool in
            guard !state.stopping, state.pending.count + line.utf8.count <= limit else {
                state.dropped += 1
                return false
            }
            state.pending.append(contentsOf: line.utf8)
            guard state.sleeping else { return false }
            state.sleeping = false
            return true
        }
        if signal { wake.signal() }
    }

    /// Waits until every line queued so far is written, at most `timeout` (a reader that takes
    /// nothing must not hold a server's exit).
    public func flush(timeout: Duration = .seconds(2)) {
        let done = DispatchSemaphore(value: 0)
        let idle = state.withLock { state -> Bool in
            if state.pending.isEmpty && !state.writing { return true }
            state.flushes.append(done)
            return false
        }
        if idle { return }
        let (seconds, attoseconds) = timeout.components
        _ = done.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }

    /// Ends the thread once the lines queued so far are written (later ones are dropped); for writers
    /// other than ``standardError``, which lives as long as the process.
    public func stop() {
        let signal = state.withLock { state -> Bool in
            state.stopping = true
            defer { state.sleeping = false }
            return state.sleeping
        }
        if signal { wake.signal() }
    }

    private func run() {
        while true {
            let taken = state.withLock { state -> (bytes: [UInt8], dropped: Int, flushes: [DispatchSemaphore], stop: Bool) in
                guard !state.pending.isEmpty else {
                    state.writing = false
                    state.sleeping = !state.stopping
                    defer { state.flushes = [] }
                    return ([], 0, state.flushes, state.stopping)
                }
                state.writing = true
                defer {
                    state.pending = []
                    state.dropped = 0
                }
                return (state.pending, state.dropped, [], false)
            }
            if taken.bytes.isEmpty {
                for flush in taken.flushes { flush.signal() }
                if taken.stop { return }
                wake.wait()
                continue
            }
            StandardStreams.write(taken.bytes, to: descriptor)
            if taken.dropped > 0 {
                StandardStreams.write(
                    Array("warning: \(taken.dropped) log lines dropped: the log's reader took none for a while\n".utf8), to: descriptor)
            }
            // Lines that come meanwhile wait for the next batch without waking this thread: under
            // load one write a batch, not a wake-up and a write a line (which cost more than writing
            // from the request: health checks 69 → 90 µs of CPU each).
            _ = pause.wait(timeout: .now() + .milliseconds(2))
        }
    }
}
