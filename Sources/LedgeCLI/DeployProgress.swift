#if canImport(Glibc)
internal import Glibc
#endif
internal import LedgeCore
internal import Synchronization

/// One live line per device on standard error while `deploy` works: redrawn in place on a
/// terminal, one line per change otherwise (logs, CI).
final class DeployProgress: Sendable {
    private struct Board {
        var lines: [String: String] = [:]
        var drawn = 0
    }
    private let devices: [String]
    private let width: Int
    private let live: Bool
    private let quiet: Bool
    private let board = Mutex(Board())

    init(devices: [String], quiet: Bool) {
        self.devices = devices
        self.width = devices.map(\.count).max() ?? 0
        self.live = isatty(2) == 1 && !quiet
        self.quiet = quiet
    }

    /// The closure the deployer calls.
    var report: @Sendable (String, String) -> Void { { [self] device, message in update(device, message) } }

    func update(_ device: String, _ message: String) {
        guard !quiet else { return }
        let label = device + String(repeating: " ", count: max(0, width - device.count))
        guard live else {
            StandardStreams.writeError("\(label)  \(message)\n")
            return
        }
        board.withLock { board in
            board.lines[device] = message
            var text = board.drawn > 0 ? "\u{1B}[\(board.drawn)A" : ""
            for name in devices {
                let padded = name + String(repeating: " ", count: max(0, width - name.count))
                text += "\u{1B}[2K\(padded)  \(board.lines[name] ?? "waiting")\n"
            }
            board.drawn = devices.count
            StandardStreams.writeError(text)
        }
    }
}
