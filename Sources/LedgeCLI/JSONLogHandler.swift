#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
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
        var merged = metadata.merging(event.metadata ?? [:]) { $1 }
        // Hummingbird's own key; `request_id` carries the same id.
        if merged["request_id"] != nil { merged["hb.request.id"] = nil }
        let line = Line(
            label: label, level: event.level.rawValue, message: event.message.description,
            metadata: merged.mapValues(JSONMetadata.init), timestamp: Self.timestamp())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(line) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    private struct Line: Encodable {
        var label: String
        var level: String
        var message: String
        var metadata: [String: JSONMetadata]
        var timestamp: String
    }

    /// Now as `2025-01-31T12:34:56.789Z`.
    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// A metadata value as JSON: strings, arrays and objects.
private enum JSONMetadata: Encodable {
    case string(String)
    case array([JSONMetadata])
    case object([String: JSONMetadata])

    init(_ value: Logger.Metadata.Value) {
        switch value {
        case .string(let string): self = .string(string)
        case .stringConvertible(let value): self = .string(value.description)
        case .array(let values): self = .array(values.map(JSONMetadata.init))
        case .dictionary(let values): self = .object(values.mapValues(JSONMetadata.init))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let string): try container.encode(string)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}
