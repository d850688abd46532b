public import Logging
public import Synchronization

/// Keeps every log event of the loggers it makes, for tests to read.
public final class LogCapture: Sendable {
    /// One log event as it was emitted.
    public struct Event: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    /// The events so far, oldest first.
    public let events = Mutex<[Event]>([])

    public init() {}

    /// A logger whose events are kept here; `level` is its initial log level.
    public func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "ledge.tests") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// The messages logged so far.
    public var messages: [String] { events.withLock { $0.map(\.message) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.events.withLock { $0.append(Event(level: event.level, message: event.message.description, metadata: merged)) }
        }
    }
}
