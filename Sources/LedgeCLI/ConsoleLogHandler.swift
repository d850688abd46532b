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

    /// A handler at `logLevel`, or at `shared`'s level as it changes.
    public init(logLevel: Logger.Level, shared: LogSettings? = nil) {
        self.level = HandlerLevel(logLevel, shared: shared)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        StandardStreams.writeError(LogLine.text(level: event.level, message: event.message, entries: LogLine.entries(metadata, event.metadata)))
    }

    /// A logger for the CLI: warnings and worse, or everything from debug up with `verbose`.
    public static func logger(verbose: Bool) -> Logger {
        Logger(label: "ledge") { _ in ConsoleLogHandler(logLevel: verbose ? .debug : .warning) }
    }
}
