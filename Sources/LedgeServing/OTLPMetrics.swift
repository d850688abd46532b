internal import LedgeCore
/// One metric family of a Prometheus text exposition (format 0.0.4): its `# HELP`, `# TYPE` and samples.
struct PrometheusFamily: Sendable, Equatable {
    struct Sample: Sendable, Equatable {
        /// The sample's own name: the family's, or with `_bucket`, `_sum`, `_count` for a histogram.
        var name: String
        var labels: [Label]
        var value: Double
    }

    struct Label: Sendable, Equatable {
        var name: String
        var value: String
    }

    var name: String
    var help = ""
    /// `counter`, `gauge`, `histogram`, `summary` or `untyped`.
    var type = "untyped"
    var samples: [Sample] = []
}

/// Reads the text exposition `/metrics` serves (ours: swift-prometheus's), as the OpenTelemetry
/// Collector's Prometheus receiver does: `# HELP` and `# TYPE` lines open a family, samples
/// `name{label="value",…} value [timestamp]` follow it. Lines that do not parse are skipped.
enum PrometheusText {
    static func families(_ text: [UInt8]) -> [PrometheusFamily] {
        var families: [PrometheusFamily] = []
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                var value = rest.dropFirst(name.count + 1)
                if families.last?.name != name { families.append(PrometheusFamily(name: name)) }
                if line.hasPrefix("# HELP ") {
                    families[families.count - 1].help = unescaped(&value)
                } else {
                    families[families.count - 1].type = String(value)
                }
            } else if !line.hasPrefix("#"), let sample = sample(line) {
                if let last = families.last, belongs(sample.name, to: last) {
                    families[families.count - 1].samples.append(sample)
                } else {
                    families.append(PrometheusFamily(name: sample.name, samples: [sample]))
                }
            }
        }
        return families
    }

    private static func belongs(_ name: String, to family: PrometheusFamily) -> Bool {
        if name == family.name { return true }
        guard family.type == "histogram" || family.type == "summary", name.hasPrefix(family.name) else { return false }
        return ["_bucket", "_sum", "_count"].contains(String(name.dropFirst(family.name.count)))
    }

    /// `name{labels} value [timestamp]`, or `nil`.
    static func sample(_ line: Substring) -> PrometheusFamily.Sample? {
        let name = String(line.prefix { $0 != "{" && $0 != " " })
        guard !name.isEmpty else { return nil }
        var rest = line.dropFirst(name.count)
        var labels: [PrometheusFamily.Label] = []
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                let value = unescaped(&rest, until: "\"")
                labels.append(PrometheusFamily.Label(name: label.trimmingWhitespace(), value: value))
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { return nil }
            }
            rest = rest.dropFirst()
        }
        let fields = rest.split(separator: " ")
        guard let text = fields.first, let value = Double(text) else { return nil }
        return PrometheusFamily.Sample(name: name, labels: labels, value: value)
    }

    /// `text` up to the first unescaped `terminator` (which is consumed), or to its end, without
    /// the exposition's escapes (`\\`, `\"`, `\n`): a label's value, a `# HELP` text.
    private static func unescaped(_ text: inout Substring, until terminator: Character? = nil) -> String {
        var out = ""
        var escaped = false
        while let character = text.first {
            text = text.dropFirst()
            if escaped {
                out.append(character == "n" ? "\n" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == terminator {
                break
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// OTLP's `ExportMetricsServiceRequest` in protobuf's wire format, written by hand from the
/// families of the server's exposition (opentelemetry-proto's `collector/metrics/v1` and
/// `metrics/v1`; the tests decode it with the opentelemetry-proto package): counters as
/// cumulative monotonic sums, gauges as gauges, histograms as cumulative explicit-bucket
/// histograms (Prometheus's cumulative `le` buckets turned into per-bucket counts), every value a
/// double; `start` is when the server started counting, `now` the export's time (Unix ns).
enum OTLPMetricsEncoding {
    static func exportRequest(
        resource: [OpenTelemetrySettings.Attribute], families: [PrometheusFamily], start: UInt64, now: UInt64, version: String
    ) -> [UInt8] {
        OTLPEncoding.exportRequest(
            resource: resource, scopeVersion: version, items: families.compactMap { metric($0, start: start, now: now) })
    }

    /// `Metric { name = 1; description = 2; unit = 3; gauge = 5 | sum = 7 | histogram = 9 }`;
    /// `nil` for a family without samples or a summary (ledge has none).
    static func metric(_ family: PrometheusFamily, start: UInt64, now: UInt64) -> ProtobufWriter? {
        guard !family.samples.isEmpty else { return nil }
        var metric = ProtobufWriter()
        metric.string(1, family.name)
        if !family.help.isEmpty { metric.string(2, family.help) }
        if family.name.hasSuffix("_seconds") { metric.string(3, "s") }
        if family.name.hasSuffix("_bytes") { metric.string(3, "By") }
        switch family.type {
        case "counter":
            var sum = ProtobufWriter()
            for sample in family.samples { sum.message(1, point(sample, start: start, now: now)) }  // Sum.data_points
            sum.varint(2, 2)  // Sum.aggregation_temporality: CUMULATIVE
            sum.varint(3, 1)  // Sum.is_monotonic
            metric.message(7, sum)
        case "histogram":
            var histogram = ProtobufWriter()
            for point in histogramPoints(family, start: start, now: now) { histogram.message(1, point) }  // Histogram.data_points
            histogram.varint(2, 2)  // Histogram.aggregation_temporality: CUMULATIVE
            metric.message(9, histogram)
        case "summary":
            return nil
        default:
            var gauge = ProtobufWriter()
            for sample in family.samples { gauge.message(1, point(sample, start: start, now: now)) }  // Gauge.data_points
            metric.message(5, gauge)
        }
        return metric
    }

    /// `NumberDataPoint { start_time_unix_nano = 2; time_unix_nano = 3; as_double = 4; attributes = 7 }`.
    private static func point(_ sample: PrometheusFamily.Sample, start: UInt64, now: UInt64) -> ProtobufWriter {
        var point = ProtobufWriter()
        point.fixed64(2, start)
        point.fixed64(3, now)
        point.fixed64(4, sample.value.bitPattern)
        for label in sample.labels { point.message(7, OTLPEncoding.keyValue(label.name, .string(label.value))) }
        return point
    }

    /// One `HistogramDataPoint` per label set (without `le`): `start_time_unix_nano = 2;
    /// time_unix_nano = 3; count = 4; sum = 5; bucket_counts = 6; explicit_bounds = 7; attributes = 9`.
    private static func histogramPoints(_ family: PrometheusFamily, start: UInt64, now: UInt64) -> [ProtobufWriter] {
        struct Series {
            var labels: [PrometheusFamily.Label]
            var buckets: [(bound: Double, cumulative: Double)] = []
            var sum = 0.0
            var count = 0.0
        }
        var series: [Series] = []
        for sample in family.samples {
            let labels = sample.labels.filter { $0.name != "le" }
            let index =
                series.firstIndex { $0.labels == labels }
                ?? {
                    series.append(Series(labels: labels))
                    return series.count - 1
                }()
            switch sample.name.dropFirst(family.name.count) {
            case "_bucket":
                guard let bound = sample.labels.first(where: { $0.name == "le" }).flatMap({ Double($0.value) }) else { continue }
                series[index].buckets.append((bound, sample.value))
            case "_sum": series[index].sum = sample.value
            case "_count": series[index].count = sample.value
            default: continue
            }
        }
        return series.map { series in
            let buckets = series.buckets.sorted { $0.bound < $1.bound }
            var counts: [UInt64] = []
            var previous = 0.0
            for bucket in buckets {
                counts.append(UInt64(max(bucket.cumulative - previous, 0)))
                previous = bucket.cumulative
            }
            let bounds = buckets.map(\.bound).filter(\.isFinite)
            if buckets.last?.bound.isFinite ?? true { counts.append(UInt64(max(series.count - previous, 0))) }  // the +Inf bucket
            var point = ProtobufWriter()
            point.fixed64(2, start)
            point.fixed64(3, now)
            point.fixed64(4, UInt64(max(series.count, 0)))
            point.fixed64(5, series.sum.bitPattern)
            point.packedFixed64(6, counts)
            point.packedFixed64(7, bounds.map(\.bitPattern))
            for label in series.labels { point.message(9, OTLPEncoding.keyValue(label.name, .string(label.value))) }
            return point
        }
    }
}
