internal import LedgeCore
public import LedgeServing
public import Logging

/// A compact log handler for a command-line tool: `warning: message` on stderr.
///
/// Built per process without `LoggingSystem.bootstrap`, so commands can run
/// many times in one process (tests).
public struct ConsoleLogHandler: LogHandler {
    /// Its own, or `ledge serve`'s as it changes (``LogSettings``); setting `logLevel` detaches it.
    private var level: HandlerLevel
    public var metadata: Logger.Metadata = [:]

    public var logLevel: Logger.Level {
        get { level.value }
        set { level.value = newValue }
    }

    private let write: @Sendable (String) -> Void

    /// A handler at `logLevel`, or at `shared`'s level as it changes, writing straight to standard error.
    public init(logLevel: Logger.Level, shared: LogSettings? = nil) {
        self.init(logLevel: logLevel, shared: shared) { StandardStreams.writeError($0) }
    }

    /// A handler at `logLevel`, or at `shared`'s level as it changes; `write` gets each line with its newline.
    public init(logLevel: Logger.Level, shared: LogSettings? = nil, write: @escaping @Sendable (String) -> Void) {
        self.level = HandlerLevel(logLevel, shared: shared)
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(LogLine.text(level: event.level, message: event.message, entries: LogLine.entries(metadata, event.metadata)))
    }

    /// A logger for the CLI: warnings and worse, or everything from debug up with `verbose`.
    public static func logger(verbose: Bool) -> Logger {
        Logger(label: "ledge") { _ in ConsoleLogHandler(logLevel: verbose ? .debug : .warning) }
    }
}
