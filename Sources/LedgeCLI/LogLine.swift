internal import LedgeCore
internal import Logging

/// The text of one log event, built by appending to one string: what ``ConsoleLogHandler`` and
/// ``JSONLogHandler`` share. A server writes one access line per request, so this is on every
/// request's path: merging dictionaries, `JSONEncoder` and `Date.formatted` there cost a tiny
/// model's infer more than its inference.
enum LogLine {
    /// The handler's metadata and the event's (the event's win on a shared key), sorted by key;
    /// Hummingbird's `hb.request.id` is left out when `request_id` carries the same id.
    static func entries(_ handler: Logger.Metadata, _ event: Logger.Metadata?) -> [(key: String, value: Logger.Metadata.Value)] {
        var entries: [(key: String, value: Logger.Metadata.Value)] = []
        entries.reserveCapacity(handler.count + (event?.count ?? 0))
        for (key, value) in handler where event?[key] == nil { entries.append((key, value)) }
        if let event { for (key, value) in event { entries.append((key, value)) } }
        if entries.contains(where: { $0.key == "request_id" }) { entries.removeAll { $0.key == "hb.request.id" } }
        entries.sort { $0.key < $1.key }
        return entries
    }

    /// `level: message key=value …` and a newline.
    static func text(level: Logger.Level, message: Logger.Message, entries: [(key: String, value: Logger.Metadata.Value)]) -> String {
        var line = ""
        line.reserveCapacity(160)
        line += level.rawValue
        line += ": "
        line += message.description
        for (key, value) in entries {
            line += " "
            line += key
            line += "="
            if case .string(let string) = value { line += string } else { line += value.description }
        }
        line += "\n"
        return line
    }

    /// `{"label":…,"level":…,"message":…,"metadata":{…},"timestamp":…}` (keys sorted, nested
    /// metadata as arrays and objects) and a newline: what `JSONEncoder` with sorted keys and
    /// unescaped slashes wrote.
    static func json(
        label: String, level: Logger.Level, message: Logger.Message, entries: [(key: String, value: Logger.Metadata.Value)],
        timestamp: String
    ) -> String {
        var line = "{\"label\":"
        line.reserveCapacity(256)
        JSONQuoting.append(label, to: &line)
        line += ",\"level\":"
        JSONQuoting.append(level.rawValue, to: &line)
        line += ",\"message\":"
        JSONQuoting.append(message.description, to: &line)
        line += ",\"metadata\":{"
        for (index, (key, value)) in entries.enumerated() {
            if index > 0 { line += "," }
            JSONQuoting.append(key, to: &line)
            line += ":"
            append(value, to: &line)
        }
        line += "},\"timestamp\":"
        JSONQuoting.append(timestamp, to: &line)
        line += "}\n"
        return line
    }

    private static func append(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string): JSONQuoting.append(string, to: &line)
        case .stringConvertible(let convertible): JSONQuoting.append(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, (key, element)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                JSONQuoting.append(key, to: &line)
                line += ":"
                append(element, to: &line)
            }
            line += "}"
        }
    }
}
