public import LedgeCore

/// What an OTLP exporter carries: spans or metrics. Each has its own variables
/// (`OTEL_EXPORTER_OTLP_TRACES_X`, `OTEL_EXPORTER_OTLP_METRICS_X`), path and gRPC service.
public enum OTLPSignal: Sendable, Equatable {
    case traces, metrics

    /// `TRACES` or `METRICS`: the variables' infix.
    var variable: String { self == .traces ? "TRACES" : "METRICS" }
    /// The OTLP/HTTP path added to `OTEL_EXPORTER_OTLP_ENDPOINT`.
    var path: String { self == .traces ? "/v1/traces" : "/v1/metrics" }
    /// The collector's gRPC service.
    var service: String {
        self == .traces ? "opentelemetry.proto.collector.trace.v1.TraceService" : "opentelemetry.proto.collector.metrics.v1.MetricsService"
    }
}

/// Triton's OpenTelemetry trace mode settings (`--trace-config mode=opentelemetry` and
/// `--trace-config opentelemetry,SETTING=VALUE`): where spans are exported (OTLP over HTTP as
/// protobuf, or over gRPC), the resource attributes, and the batch span processor's bounds.
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
    /// A PEM file of the certificates an `https` collector is verified against, instead of the
    /// system's (`OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE`).
    public var certificate: String?
    /// The certificate and key presented to a collector that asks for one (mutual TLS).
    public var clientCertificate: String?
    public var clientKey: String?
    /// Headers sent with every export: a collector's API key, a tenant (`OTEL_EXPORTER_OTLP_TRACES_HEADERS`).
    public var headers: [Attribute] = []
    /// Exports are gzip-compressed (`OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=gzip`).
    public var gzip = false
    /// Milliseconds an export may take, connection and TLS handshake included (the SDK's 10 s).
    public var timeoutMilliseconds = 10_000
    /// Exports go over gRPC (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc`) instead of HTTP:
    /// the collector's `TraceService/Export` at the endpoint's host and port (its path unused).
    public var grpc = false
    /// Spans (Triton's trace mode) or metrics (``OTLPMetricsExporter``).
    public var signal = OTLPSignal.traces
    /// The environment variable each of the settings above came from, for messages.
    var origins: [String: String] = [:]
    /// What `--trace-config` set, which the environment does not change: `url` and `resource=KEY`.
    var given: Set<String> = []

    public init() {}

    /// ``url`` parsed (checked when it was read).
    var endpoint: OTLPEndpoint? { try? OTLPEndpoint(url: url, defaultPath: signal.path) }

    /// Reads one `opentelemetry,SETTING=VALUE` entry (`setting` and `value` split off).
    mutating func read(_ setting: Substring, _ value: String, entry: String) throws {
        switch setting {
        case "url":
            _ = try OTLPEndpoint(url: value)
            url = value
            given.insert("url")
        case "resource":
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                throw LedgeError.usage("--trace-config '\(entry)': expected opentelemetry,resource=KEY=VALUE")
            }
            let attribute = Attribute(key: String(value[..<equals]), value: String(value[value.index(after: equals)...]))
            resource.removeAll { $0.key == attribute.key }
            resource.append(attribute)
            given.insert("resource=" + attribute.key)
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

/// Where OTLP/HTTP spans (or metrics) are posted: `http(s)://HOST[:PORT]/PATH`, or `HOST:PORT/PATH` (as
/// Triton's examples write it, plain HTTP); `defaultPath` (`/v1/traces`) when no path is given.
public struct OTLPEndpoint: Sendable, Equatable {
    public let url: RequestURL

    /// `label` names where `text` came from in messages (`--trace-config opentelemetry,url`, an
    /// environment variable).
    public init(url text: String, label: String = "--trace-config opentelemetry,url", defaultPath: String = "/v1/traces") throws {
        let secure = text.hasPrefix("https://")
        let rest = Substring(text).dropFirst(secure ? "https://".count : text.hasPrefix("http://") ? "http://".count : 0)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : defaultPath
        guard !path.hasPrefix("//"), let (host, port) = RequestURL.split(authority: authority, defaultPort: secure ? 443 : 80),
            !host.contains(where: { $0.isWhitespace || $0 == "@" }), !path.contains(where: \.isWhitespace)
        else {
            let namesPort = authority.last { $0 == ":" || $0 == "]" } == ":" && !authority.hasPrefix(":") && !path.hasPrefix("//")
            throw LedgeError.usage("\(label)=\(text): " + (namesPort ? "the port must be 1-65535" : "expected http(s)://HOST:PORT/PATH"))
        }
        url = RequestURL(secure: secure, host: host, port: port, target: path)
    }

    public var host: String { url.host }
    public var port: Int { url.port }
    public var path: String { url.target }

    /// The URL, for messages.
    public var description: String { url.text }
}
