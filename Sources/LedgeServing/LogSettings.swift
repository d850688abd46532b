internal import LedgeCore
public import Logging
internal import Synchronization

/// The server's log level, changed while it serves (Triton's logging extension: `GET`/`POST
/// /v2/logging`, gRPC LogSettings). Every log handler of the server reads it, so a change reaches
/// every line from then on: turn on debug lines on a device without a restart, or silence the
/// access lines. Ledge logs by threshold (a level logs everything at and above it), so Triton's
/// `log_info`/`log_warning`/`log_error` switches must describe one.
public final class LogSettings: Sendable {
    private let rawLevel: Atomic<UInt8>
    /// `--log-format`: Triton's `log_format` (`default` for text lines, `json`); fixed at start.
    public let format: String

    public init(level: Logger.Level, format: String) {
        rawLevel = Atomic(Self.levels.firstIndex(of: level).map(UInt8.init) ?? 2)
        self.format = format
    }

    private static let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]

    /// The level every handler logs at now.
    public var level: Logger.Level { Self.levels[Int(rawLevel.load(ordering: .relaxed))] }

    /// One of Triton's setting values.
    public enum Value: Sendable, Equatable {
        case bool(Bool)
        case uint32(UInt32)
        case string(String)
    }

    /// The settings as Triton names them.
    public var settings: [String: Value] {
        let level = level
        return [
            "log_file": .string(""),
            "log_info": .bool(level <= .info),
            "log_warning": .bool(level <= .warning),
            "log_error": .bool(level <= .error),
            "log_verbose_level": .uint32(level == .trace ? 2 : level == .debug ? 1 : 0),
            "log_format": .string(format),
        ]
    }

    /// Applies the settings given (the others keep their values) and returns the level now; throws
    /// ``LedgeError/Code/invalidInput`` (400, INVALID_ARGUMENT) naming the setting, and changes
    /// nothing, when one is unknown, of the wrong type or cannot be.
    @discardableResult
    public func update(_ changes: [String: Value]) throws -> Logger.Level {
        let before = settings
        var current = before
        for key in changes.keys.sorted() {
            guard let old = current[key], let value = changes[key] else {
                throw LedgeError.invalidInput(
                    "unknown log setting '\(key)': expected log_file, log_info, log_warning, log_error, log_verbose_level or log_format")
            }
            switch (old, value) {
            case (.bool, .bool), (.uint32, .uint32): current[key] = value
            case (.string(let was), .string(let now)):
                guard was == now else {
                    throw LedgeError.invalidInput(
                        key == "log_file"
                            ? "log_file cannot be set: ledge serve logs to standard error (redirect it, or use journald)"
                            : "log_format cannot change while serving: it is '\(was)' (--log-format)")
                }
            default:
                let expected = if case .bool = old { "a boolean" } else if case .uint32 = old { "an unsigned integer" } else { "a string" }
                throw LedgeError.invalidInput("log setting '\(key)' must be \(expected)")
            }
        }
        func on(_ key: String) -> Bool { current[key] == .bool(true) }
        let verbose: UInt32 = if case .uint32(let n) = current["log_verbose_level"] { n } else { 0 }
        let level: Logger.Level =
            verbose >= 2
            ? .trace : verbose == 1 ? .debug : on("log_info") ? .info : on("log_warning") ? .warning : on("log_error") ? .error : .critical
        if (!on("log_error") && (on("log_warning") || on("log_info"))) || (!on("log_warning") && on("log_info")) {
            throw LedgeError.invalidInput(
                "log_info, log_warning and log_error must describe a threshold (Ledge logs a level and every level above it): "
                    + "a switch may be off only when the ones below it are off too")
        }
        if verbose > 0 && !on("log_info") {
            throw LedgeError.invalidInput("log_verbose_level \(verbose) needs log_info on (verbose lines come with info lines)")
        }
        if current == before { return self.level }  // nothing changes: a `--log-level notice` stays notice
        rawLevel.store(UInt8(Self.levels.firstIndex(of: level) ?? 2), ordering: .relaxed)
        return level
    }
}

/// A log handler's level: its own, or a server's ``LogSettings`` as they change. Setting it
/// detaches the handler from the shared level (a copy made for one component).
public struct HandlerLevel: Sendable {
    private var own: Logger.Level
    private var shared: LogSettings?

    public init(_ level: Logger.Level, shared: LogSettings?) {
        own = level
        self.shared = shared
    }

    public var value: Logger.Level {
        get { shared?.level ?? own }
        set {
            own = newValue
            shared = nil
        }
    }
}
