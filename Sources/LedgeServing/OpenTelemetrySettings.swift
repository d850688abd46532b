internal import LedgeCore

/// Triton's OpenTelemetry trace mode settings (`--trace-config mode=opentelemetry` and
/// `--trace-config opentelemetry,SETTING=VALUE`): where spans are exported (OTLP over HTTP,
/// protobuf), the resource attributes, and the batch span processor's bounds.
public struct OpenTelemetrySettings: Sendable, Equatable {
    /// One resource attribute.
    public struct Attribute: Sendable, Equatable {
        public var key: String
        public var value: String
    }

    /// The collector's OTLP/HTTP traces endpoint (Triton's default).
    public var url = "http://localhost:4318/v1/traces"
    /// Resource attributes, in the order given; `service.name` is `ledge` unless set.
    public var resource = [Attribute(key: "service.name", value: "ledge")]
    /// Spans held for export at most; more are dropped (and counted in a warning).
    public var maxQueueSize = 2048
    /// Milliseconds between two exports.
    public var scheduleDelayMilliseconds = 5000
    /// Spans sent in one export at most.
    public var maxExportBatchSize = 512

    public init() {}

    /// ``url`` parsed (checked when it was read).
    var endpoint: OTLPEndpoint? { try? OTLPEndpoint(url: url) }

    /// Reads one `opentelemetry,SETTING=VALUE` entry (`setting` and `value` split off).
    mutating func read(_ setting: Substring, _ value: String, entry: String) throws {
        switch setting {
        case "url":
            _ = try OTLPEndpoint(url: value)
            url = value
        case "resource":
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                throw LedgeError.usage("--trace-config '\(entry)': expected opentelemetry,resource=KEY=VALUE")
            }
            let attribute = Attribute(key: String(value[..<equals]), value: String(value[value.index(after: equals)...]))
            resource.removeAll { $0.key == attribute.key }
            resource.append(attribute)
        case "bsp_max_queue_size":
            maxQueueSize = try TraceSettings.integer(value, "--trace-config opentelemetry,bsp_max_queue_size", atLeast: 1)
        case "bsp_schedule_delay":
            scheduleDelayMilliseconds = try TraceSettings.integer(value, "--trace-config opentelemetry,bsp_schedule_delay", atLeast: 1)
        case "bsp_max_export_batch_size":
            maxExportBatchSize = try TraceSettings.integer(value, "--trace-config opentelemetry,bsp_max_export_batch_size", atLeast: 1)
        default:
            throw LedgeError.usage(
                "--trace-config '\(entry)': unknown setting '\(setting)': expected url, resource, bsp_max_queue_size, bsp_schedule_delay or bsp_max_export_batch_size"
            )
        }
    }

    /// Checks the settings together.
    func check() throws {
        guard maxExportBatchSize <= maxQueueSize else {
            throw LedgeError.usage(
                "--trace-config opentelemetry,bsp_max_export_batch_size is \(maxExportBatchSize): expected at most bsp_max_queue_size (\(maxQueueSize))"
            )
        }
    }
}

/// Where OTLP/HTTP spans are posted: `http://HOST[:PORT]/PATH`, or `HOST:PORT/PATH` (as Triton's
/// examples write it). Plain HTTP only.
public struct OTLPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var path: String

    public init(url: String) throws {
        var rest = Substring(url)
        if rest.hasPrefix("https://") {
            throw LedgeError.usage("--trace-config opentelemetry,url=\(url): ledge exports OTLP over plain HTTP: expected http://HOST:PORT/PATH")
        }
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        let authority = rest.prefix { $0 != "/" }
        path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/v1/traces"
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { portText = "" }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0.isWhitespace || $0 == "@" }), !path.contains(where: \.isWhitespace) else {
            throw LedgeError.usage("--trace-config opentelemetry,url=\(url): expected http://HOST:PORT/PATH")
        }
        host = String(hostPart)
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw LedgeError.usage("--trace-config opentelemetry,url=\(url): the port must be 1-65535")
            }
            port = value
        } else {
            port = 80
        }
    }

    /// `http://HOST:PORT/PATH`, for messages.
    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)" }
}
