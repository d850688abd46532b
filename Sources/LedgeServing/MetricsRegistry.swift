package import Metrics
internal import Prometheus

/// One Prometheus registry per server (never the process-wide
/// `MetricsSystem`, so tests can build many apps in one process), with a
/// swift-metrics factory over it that gives every family its `# HELP` text
/// and every timer the server's duration buckets.
package final class MetricsRegistry: Sendable {
    /// Histogram buckets for every duration: 100 µs … 10 s.
    package static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private let registry = PrometheusCollectorRegistry()
    /// The swift-metrics factory that creates this registry's metrics.
    package let factory: any MetricsFactory

    /// A registry whose families carry `help[name]` as their `# HELP` line,
    /// and whose value histograms have `buckets[name]` (else the duration buckets, in seconds).
    package init(help: [String: String], buckets: [String: [Double]] = [:]) {
        factory = HelpfulPrometheusFactory(registry: registry, help: help, buckets: Self.durationBuckets, valueBuckets: buckets)
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    package func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// A swift-metrics factory over a Prometheus registry. Unlike
/// `PrometheusMetricsFactory` (which registers every family without help text)
/// it passes each family's help, so the exposition has `# HELP` lines; counters
/// become Prometheus counters, meters and non-aggregating recorders gauges, and
/// timers histograms in seconds.
private struct HelpfulPrometheusFactory: MetricsFactory {
    package let registry: PrometheusCollectorRegistry
    package let help: [String: String]
    package let buckets: [Duration]
    package let valueBuckets: [String: [Double]]

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }

    package func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help[label] ?? "")
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        if aggregate {
            return registry.makeValueHistogram(
                name: label, labels: dimensions, buckets: valueBuckets[label] ?? buckets.map(\.inSeconds),
                help: help[label] ?? "")
        }
        return registry.makeGauge(name: label, labels: dimensions, help: help[label] ?? "")
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(name: label, labels: dimensions, buckets: buckets, help: help[label] ?? "")
    }

    package func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    package func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    package func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    package func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, 0 when negative.
    package var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(seconds, 0)) &* 1_000_000_000 &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
    }

    /// The duration in seconds.
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in milliseconds with three decimals (`"12.345"`, rounded to the microsecond), as
    /// the access lines write it: `cFormat("%.3f", …)`'s text without `vsnprintf` (~3 µs a request).
    package var millisecondsText: String {
        let micros = (wholeNanoseconds + 500) / 1000
        let fraction = micros % 1000
        return "\(micros / 1000)." + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + String(fraction)
    }
}
