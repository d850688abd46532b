internal import LedgeCore

/// The JSON report: the stable schema (README, "ledge bench --format json").
///
/// Every key is always present (`null` when absent) so consumers can rely on
/// the shape; non-finite numbers are written as `null`.
enum JSONReport {
    static func render(_ report: BenchReport) throws -> String {
        let root: [String: PrettyJSON] = [
            "ledge_version": .string(report.ledge_version),
            "budget": report.budget.map(PrettyJSON.string) ?? .null,
            "passed": .bool(report.passed),
            "variants": .array(report.variants.map(variant)),
        ]
        return PrettyJSON.object(root).text + "\n"
    }

    static func number(_ value: Double) -> PrettyJSON { value.isFinite ? .double(value) : .null }

    static func variant(_ v: VariantResult) -> PrettyJSON {
        let l = v.latency_ms
        return .object([
            "model": .string(v.model), "format": .string(v.format), "runtime": .string(v.runtime),
            "runtime_version": .string(v.runtime_version), "threads": .int(v.threads), "provider": .string(v.provider),
            "provider_requested": v.provider_requested.map(PrettyJSON.string) ?? .null, "size_bytes": .int(v.size_bytes),
            "load_ms": number(v.load_ms), "first_ms": number(v.first_ms), "warmup_mean_ms": number(v.warmup_mean_ms),
            "latency_ms": .object([
                "count": .int(l.count), "min": number(l.min), "p50": number(l.p50), "p90": number(l.p90), "p99": number(l.p99),
                "max": number(l.max), "mean": number(l.mean), "std": number(l.std),
            ]),
            "throughput": .array(
                v.throughput.map { p in
                    .object(["batch": .int(p.batch), "instances": .int(p.instances), "samples_per_s": number(p.samples_per_s)])
                }),
            "batch_note": v.batch_note.map(PrettyJSON.string) ?? .null,
            "rss_peak_bytes": .int(v.rss_peak_bytes), "rss_growth_bytes": .int(v.rss_growth_bytes),
            "end_to_end": v.end_to_end.map { e in
                .object([
                    "images": .int(e.images), "decode_ms": number(e.decode_ms), "preprocess_ms": number(e.preprocess_ms),
                    "invoke_ms": number(e.invoke_ms), "postprocess_ms": number(e.postprocess_ms),
                    "total_ms": number(e.total_ms), "preprocess_share": number(e.preprocess_share),
                    "images_per_s": number(e.images_per_s),
                ])
            } ?? .null,
            "budget": v.budget.map { .object(["passed": .bool($0.passed), "failures": .array($0.failures.map(PrettyJSON.string))]) }
                ?? .null,
        ])
    }
}

/// The CSV report: a header row and one row per variant (RFC 4180 quoting).
///
/// Nested values are flattened: `latency_ms.p50`, `end_to_end.total_ms`,
/// `budget.failures` (joined with `; `); throughput becomes one column per
/// measured batch, `fps@1`, `fps@8`, … then `fps@NxI` for I parallel instances.
enum CSVReport {
    static let leadingColumns = [
        "variant", "model", "format", "runtime", "runtime_version", "threads", "provider", "size_bytes", "load_ms",
        "first_ms", "warmup_mean_ms", "latency_ms.count", "latency_ms.min", "latency_ms.p50", "latency_ms.p90",
        "latency_ms.p99", "latency_ms.max", "latency_ms.mean", "latency_ms.std",
    ]
    static let trailingColumns = [
        "batch_note", "rss_peak_bytes", "rss_growth_bytes", "end_to_end.images", "end_to_end.decode_ms",
        "end_to_end.preprocess_ms", "end_to_end.invoke_ms", "end_to_end.postprocess_ms", "end_to_end.total_ms",
        "end_to_end.preprocess_share", "end_to_end.images_per_s", "budget.passed", "budget.failures",
    ]

    struct Key: Hashable, Comparable {
        let instances: Int, batch: Int
        static func < (a: Key, b: Key) -> Bool { (a.instances, a.batch) < (b.instances, b.batch) }
        var name: String { instances == 1 ? "fps@\(batch)" : "fps@\(batch)x\(instances)" }
    }

    static func render(_ report: BenchReport) -> String {
        let keys = Set(report.variants.flatMap { $0.throughput.map { Key(instances: $0.instances, batch: $0.batch) } }).sorted()
        var lines = [(leadingColumns + keys.map(\.name) + trailingColumns).map(quote).joined(separator: ",")]
        for v in report.variants {
            let l = v.latency_ms
            var cells = [
                v.label, v.model, v.format, v.runtime, v.runtime_version, "\(v.threads)", v.provider,
                "\(v.size_bytes)", num(v.load_ms), num(v.first_ms), num(v.warmup_mean_ms), "\(l.count)",
                num(l.min), num(l.p50), num(l.p90), num(l.p99), num(l.max), num(l.mean), num(l.std),
            ]
            for key in keys {
                let point = v.throughput.first { $0.batch == key.batch && $0.instances == key.instances }
                cells.append(point.map { num($0.samples_per_s) } ?? "")
            }
            let e = v.end_to_end
            cells += [
                v.batch_note ?? "", "\(v.rss_peak_bytes)", "\(v.rss_growth_bytes)", e.map { "\($0.images)" } ?? "",
                opt(e?.decode_ms), opt(e?.preprocess_ms), opt(e?.invoke_ms), opt(e?.postprocess_ms),
                opt(e?.total_ms), opt(e?.preprocess_share), opt(e?.images_per_s), v.budget.map { "\($0.passed)" } ?? "",
                v.budget?.failures.joined(separator: "; ") ?? "",
            ]
            lines.append(cells.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func num(_ value: Double) -> String { value.isFinite ? "\(value)" : "" }
    static func opt(_ value: Double?) -> String { value.map(num) ?? "" }

    static func quote(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacing(scalar: "\"", with: "\"\"") + "\""
    }
}
