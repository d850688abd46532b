internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// `ledge serve --metrics-export otlp`: the server's metrics pushed to an OpenTelemetry collector.
struct MetricsExportOptions: ParsableArguments {
    @Option(
        name: .customLong("metrics-export"),
        help: ArgumentHelp(
            "Push the /metrics families to an OpenTelemetry collector: otlp, or none (default: OTEL_METRICS_EXPORTER, else none).",
            discussion: """
                Every OTEL_METRIC_EXPORT_INTERVAL ms (default 60000) and at shutdown, over OTLP/HTTP (protobuf) to \
                OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics (default \
                http://localhost:4318/v1/metrics), or gRPC with PROTOCOL=grpc; CERTIFICATE, CLIENT_CERTIFICATE, \
                CLIENT_KEY, HEADERS, COMPRESSION and TIMEOUT as for traces (each OTEL_EXPORTER_OTLP_METRICS_X, else \
                OTEL_EXPORTER_OTLP_X); OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the resource. Counters \
                become cumulative sums, gauges gauges, histograms explicit-bucket histograms.
                """,
            valueName: "exporter"))
    var metricsExport: MetricsExporterKind?

    /// The export's settings, or `nil` when it is off.
    func settings() throws -> OpenTelemetrySettings? {
        do {
            return try OTLPMetricsExporter.metricsSettings(flag: metricsExport?.rawValue, environment: ProcessInfo.processInfo.environment)
        } catch let error as LedgeError {
            throw ValidationError(error.message)
        }
    }

    func validate() throws { _ = try settings() }
}

/// `--metrics-export`'s values.
enum MetricsExporterKind: String, ExpressibleByArgument, CaseIterable {
    case otlp, none
}
