import Foundation
import LedgeTesting
import Testing

/// `ledge serve --metrics-export otlp`: the real server's metrics decoded by OTLP receivers built on
/// the opentelemetry-proto package (HTTP and grpcio), compared with its /metrics at the same
/// moment; the export at shutdown, a collector that is down, the refusals (scripts/check_otlp_metrics.py).
@Suite(.ownThread) struct MetricsExportTests {
    @Test func metricsReachACollectorOverHTTPAndGRPC() async throws {
        let result = try await ProcessRunner.check(
            "check_otlp_metrics.py", venv: "venv-grpc", ["--ledge", Fixtures.ledgeExecutable, "--model", Fixtures.model("add.onnx")],
            timeLimit: 180)
        #expect(result.passed, "check_otlp_metrics.py failed: \(result.stderr)")
        let printed = [
            "ok: at shutdown: one more export with the last request (4 successful)",
            "ok: OTEL_METRICS_EXPORTER=otlp, default interval: nothing for 1 s, one export at shutdown, service.name=ledge",
            "ok: over gRPC: MetricsService/Export with 2 successful requests, authorization as metadata",
            "ok: collector down: 2 requests answered, one warning: warning: metrics: cannot export to http://127.0.0.1:P/v1/metrics: connection refused; trying again every 100 ms",
            "ok: refused in one line, exit 2: OTEL_METRICS_EXPORTER=prometheus, an interval of 0, OTLP as JSON",
            "all OTLP metrics checks passed",
        ]
        for line in printed { #expect(result.lines.contains(line), "missing line: \(line)\n\(result.stdout)") }
        #expect(
            result.lines.contains {
                $0.hasPrefix("ok: over HTTP: every 200 ms, ")
                    && $0.hasSuffix(
                        " families (those with samples): counters as cumulative monotonic sums, gauges, histograms with /metrics's buckets, bounds and sum; resource service.name=camera-7, site=lab 1; x-tenant as set"
                    )
            }, "\(result.stdout)")
    }
}
