internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// Triton's request tracing (`ledge serve --trace-config`), changed while serving through the trace extension.
struct TraceOptions: ParsableArguments {
    @Option(
        name: .customLong("trace-config"),
        help: ArgumentHelp(
            "Trace inference requests as Triton does; repeatable: triton,file=PATH, level=TIMESTAMPS|TENSORS|OFF, rate=N, count=N, triton,log-frequency=N, mode=triton|opentelemetry, opentelemetry,url=URL, opentelemetry,resource=KEY=VALUE, opentelemetry,bsp_max_queue_size=N, opentelemetry,bsp_schedule_delay=MS, opentelemetry,bsp_max_export_batch_size=N.",
            discussion: """
                One request in RATE (default 1000) is traced while COUNT lasts (default -1: no limit), into Triton's \
                JSON trace file (its trace_summary.py reads it): all at shutdown, or every LOG-FREQUENCY traces into \
                FILE.0, FILE.1, …. Level and numbers change while serving (/v2[/models/NAME]/trace/setting, gRPC \
                TraceSetting, scope 'trace'); the file only here. mode=opentelemetry exports three spans per traced \
                request (InferRequest > MODEL > compute, with Triton's timestamps as events) over OTLP/HTTP (protobuf) \
                to URL (default http://localhost:4318/v1/traces), in batches; a request with a W3C traceparent header \
                (gRPC metadata) joins that trace and is traced whatever the rate and count. The OpenTelemetry SDK's \
                variables apply, each OTEL_EXPORTER_OTLP_TRACES_X or else OTEL_EXPORTER_OTLP_X: ENDPOINT (when no \
                url is given), CERTIFICATE (a PEM file of CAs to verify an https collector by), CLIENT_CERTIFICATE \
                and CLIENT_KEY (mutual TLS), HEADERS (NAME=VALUE,…, values percent-encoded), COMPRESSION (gzip or \
                none), TIMEOUT (ms, default 10000) and PROTOCOL (http/protobuf only); OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME add resource \
                attributes (opentelemetry,resource wins).
                """,
            valueName: "setting"))
    var traceConfig: [String] = []

    /// The settings, checked (the file's folder must exist).
    func settings() throws -> TraceSettings {
        do {
            let settings = try TraceSettings(config: traceConfig, environment: ProcessInfo.processInfo.environment)
            if !settings.file.isEmpty { try AtomicFile.checkDirectory(of: settings.file, option: "--trace-config file") }
            if settings.mode == .opentelemetry { try settings.openTelemetry.checkFiles() }
            return settings
        } catch let error as LedgeError {
            throw ValidationError(error.message)
        }
    }

    func validate() throws { _ = try settings() }
}
