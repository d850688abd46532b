internal import Dispatch
internal import LedgeCore
public import Logging
internal import Synchronization

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Pushes the server's metrics — every family of `/metrics`, read from its exposition — to an
/// OpenTelemetry collector over OTLP (HTTP or gRPC), as the SDKs' periodic exporting metric reader
/// does: every `OTEL_METRIC_EXPORT_INTERVAL` ms and once more at shutdown, on a thread of its
/// own. For devices no Prometheus can scrape (behind NAT, on a cellular link). A collector that is
/// down or refuses costs the server nothing: one warning, then the next interval tries again
/// (counters are cumulative, so nothing is lost but resolution).
public final class OTLPMetricsExporter: Sendable {
    private let settings: OpenTelemetrySettings
    private let sender: any OTLPSender
    private let exposition: @Sendable () -> [UInt8]
    private let logger: Logger
    private let version: String
    /// When counting started (Unix ns): every point's start time.
    private let start: UInt64
    private let stopping = Atomic(false)
    private let failing = Mutex(false)
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// Starts exporting `exposition()` as `settings` say (``metricsSettings(flag:environment:)``);
    /// `nil` when their URL is not one (it was checked when read).
    public init?(settings: OpenTelemetrySettings, version: String, logger: Logger, exposition: @escaping @Sendable () -> [UInt8]) {
        guard let endpoint = settings.endpoint else { return nil }
        self.settings = settings
        sender = OTLPExporter.sender(settings: settings, endpoint: endpoint)
        self.exposition = exposition
        self.logger = logger
        self.version = version
        start = Self.nowNanoseconds()
        DedicatedThread.start { [self] in run() }
    }

    /// Exports once more (waiting at most `seconds` for the collector) and ends the thread.
    public func shutdown(seconds: Int = 5) {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        _ = done.wait(timeout: .now() + .seconds(seconds))
    }

    private func run() {
        defer {
            sender.close()
            done.signal()
        }
        while true {
            if !stopping.load(ordering: .acquiring) { _ = wake.wait(timeout: .now() + .milliseconds(settings.scheduleDelayMilliseconds)) }
            let last = stopping.load(ordering: .acquiring)
            export()
            if last { return }
        }
    }

    /// Sends what the exposition says now; warns once when the collector cannot be reached or
    /// refuses, and notes when it answers again.
    private func export() {
        let body = OTLPMetricsEncoding.exportRequest(
            resource: settings.resource, families: PrometheusText.families(exposition()), start: start, now: Self.nowNanoseconds(),
            version: version)
        let problem = sender.deliver(body, interrupt: wake, stopping: { stopping.load(ordering: .acquiring) }) { answer, delay in
            logger.debug("metrics: the collector answered \(answer): sent again after \(delay) s")
        }
        let wasFailing = failing.withLock { failing in
            defer { failing = problem != nil }
            return failing
        }
        if let problem, !wasFailing {
            logger.warning("metrics: cannot export to \(sender.description): \(problem); trying again every \(settings.scheduleDelayMilliseconds) ms")
        } else if problem == nil, wasFailing {
            logger.notice("metrics: exporting to \(sender.description) again")
        }
    }

    private static func nowNanoseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1e9) }

    /// The settings of metrics export, or `nil` when it is off: on with `flag` (`--metrics-export
    /// otlp`) or `OTEL_METRICS_EXPORTER=otlp`; the endpoint, protocol, headers, TLS files,
    /// compression, timeout and resource from the SDK's variables (each
    /// `OTEL_EXPORTER_OTLP_METRICS_X`, else `OTEL_EXPORTER_OTLP_X`), the interval from
    /// `OTEL_METRIC_EXPORT_INTERVAL` (ms, default 60000).
    public static func metricsSettings(flag: String?, environment: [String: String]) throws -> OpenTelemetrySettings? {
        let mode: String
        if let flag {
            mode = flag
        } else if let value = environment["OTEL_METRICS_EXPORTER"], !value.isEmpty {
            guard value == "otlp" || value == "none" else {
                throw LedgeError.usage(
                    "OTEL_METRICS_EXPORTER=\(value): expected otlp or none (Prometheus scrapes /metrics, always served)")
            }
            mode = value
        } else {
            mode = "none"
        }
        guard mode == "otlp" else { return nil }
        var settings = OpenTelemetrySettings()
        settings.signal = .metrics
        settings.url = "http://localhost:4318/v1/metrics"
        settings.scheduleDelayMilliseconds = 60_000
        if let value = environment["OTEL_METRIC_EXPORT_INTERVAL"], !value.isEmpty {
            settings.scheduleDelayMilliseconds = try TraceSettings.integer(value, "OTEL_METRIC_EXPORT_INTERVAL", atLeast: 1)
        }
        try settings.read(environment: environment)
        try settings.checkFiles()
        return settings
    }
}
