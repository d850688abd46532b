internal import LedgeCore
public import LedgeServing
public import Logging

/// A log handler writing one JSON object per line (`ledge serve --log-format json`):
/// `{"label", "level", "message", "metadata": {…}, "timestamp"}` with keys
/// sorted and the timestamp in ISO 8601 UTC with milliseconds.
///
/// Built per process without `LoggingSystem.bootstrap`, like ``ConsoleLogHandler``.
public struct JSONLogHandler: LogHandler {
    /// Its own, or `ledge serve`'s as it changes (``LogSettings``); setting `logLevel` detaches it.
    private var level: HandlerLevel
    public var metadata: Logger.Metadata = [:]

    public var logLevel: Logger.Level {
        get { level.value }
        set { level.value = newValue }
    }
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler for the logger `label` writing to standard error.
    public init(label: String, logLevel: Logger.Level, shared: LogSettings? = nil) {
        self.init(label: label, logLevel: logLevel, shared: shared) { StandardStreams.writeError($0) }
    }

    /// A handler for the logger `label`; `write` gets each line with its newline. At `logLevel`, or
    /// at `shared`'s level as it changes.
    public init(label: String, logLevel: Logger.Level, shared: LogSettings? = nil, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.level = HandlerLevel(logLevel, shared: shared)
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let entries = LogLine.entries(metadata, event.metadata)
        write(LogLine.json(label: label, level: event.level, message: event.message, entries: entries, timestamp: iso8601UTCNow()))
    }
}
