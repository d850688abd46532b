#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import LedgeCore
internal import Synchronization

/// Receives the bench's progress: the phase, runs done and the planned total.
public protocol ProgressSink: Sendable {
    /// Called after every run (cheap; implementations throttle their output).
    /// `total` is `nil` when the phase runs for a duration rather than a count.
    func update(phase: String, done: Int, total: Int?)
    /// Removes any trace of the progress display.
    func finish()
}

/// A one-line progress bar on stderr, redrawn with `\r` at most 10 times a second:
/// `[####......] efficientnet_lite0.tflite t1: steady 30/50  2.1s`.
///
/// Use it only when stderr is a terminal (``isStandardErrorTerminal``).
public final class TerminalProgress: ProgressSink {
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var width = 0
    }
    private let start = ContinuousClock.now
    private let state = Mutex(State())

    public init() {}

    /// True when stderr is a terminal.
    public static var isStandardErrorTerminal: Bool { isatty(2) == 1 }

    public func update(phase: String, done: Int, total: Int?) {
        let now = ContinuousClock.now
        let line: String? = state.withLock { s in
            if let last = s.lastDraw, now - last < .milliseconds(100) { return nil }
            s.lastDraw = now
            let elapsed = cFormat(
                "%.1fs",
                Double((now - start).components.seconds)
                    + Double((now - start).components.attoseconds) / 1e18)
            var text: String
            if let total, total > 0 {
                let filled = min(20, done * 20 / total)
                text =
                    "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
                    + "] \(phase) \(done)/\(total)  \(elapsed)"
            } else {
                text = "[" + String(repeating: "~", count: 20) + "] \(phase) \(done)  \(elapsed)"
            }
            let padded = text.count < s.width ? text + String(repeating: " ", count: s.width - text.count) : text
            s.width = text.count
            return "\r" + padded
        }
        if let line { StandardStreams.writeError(line) }
    }

    public func finish() {
        let width = state.withLock { s in
            defer { s.width = 0; s.lastDraw = nil }; return s.width
        }
        guard width > 0 else { return }
        StandardStreams.writeError("\r" + String(repeating: " ", count: width) + "\r")
    }
}
