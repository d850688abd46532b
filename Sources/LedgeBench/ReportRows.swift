/// The human-readable cells shared by the table and markdown reports.
struct ReportRows {
    struct Column {
        let title: String
        /// Numbers are right-aligned.
        let right: Bool
    }

    let columns: [Column]
    /// One row of cells per variant, in column order.
    let rows: [[String]]
    /// Index of the `vs baseline` column (dimmed in colour) and of the budget column, if any.
    let ratioColumn: Int
    let verdictColumn: Int?

    init(_ report: BenchReport) {
        let hasBudget = report.budget != nil || report.variants.contains { $0.budget != nil }
        var columns: [Column] = [
            .init(title: "variant", right: false), .init(title: "runtime", right: false),
            .init(title: "size", right: true), .init(title: "load", right: true), .init(title: "first", right: true),
            .init(title: "runs", right: true), .init(title: "p50", right: true), .init(title: "p90", right: true),
            .init(title: "p99", right: true), .init(title: "fps (batch)", right: true), .init(title: "RSS peak", right: true),
            .init(title: "vs baseline", right: false),
        ]
        ratioColumn = columns.count - 1
        if hasBudget { columns.append(.init(title: "budget", right: false)) }
        verdictColumn = hasBudget ? columns.count - 1 : nil
        self.columns = columns
        let base = report.variants.first
        rows = report.variants.enumerated().map { index, v in
            var cells = [
                v.label, "\(v.runtime) \(v.runtime_version)", Fmt.bytes(Double(v.size_bytes)), Fmt.ms(v.load_ms),
                Fmt.ms(v.first_ms), "\(v.latency_ms.count)", Fmt.ms(v.latency_ms.p50), Fmt.ms(v.latency_ms.p90),
                Fmt.ms(v.latency_ms.p99), Self.fps(v), v.rss_peak_bytes > 0 ? Fmt.bytes(Double(v.rss_peak_bytes)) : "-",
                index == 0 || base == nil ? "baseline" : Self.ratios(v, base: base!),
            ]
            if hasBudget { cells.append(v.budget.map { $0.passed ? "PASS" : "FAIL" } ?? "-") }
            return cells
        }
    }

    static func fps(_ v: VariantResult) -> String {
        guard let point = v.largestBatchThroughput else { return "-" }
        return "\(Fmt.rate(point.samples_per_s)) @\(point.batch)"
    }

    static func ratio(_ value: Double, _ base: Double) -> String {
        base > 0 && value.isFinite ? Fmt.ratio(value / base) : "n/a"
    }

    static func ratios(_ v: VariantResult, base: VariantResult) -> String {
        "p50 \(ratio(v.latency_ms.p50, base.latency_ms.p50)) size \(ratio(Double(v.size_bytes), Double(base.size_bytes)))"
    }

    /// Lines under the table: budget failures, batch notes, throughput per batch, end-to-end split.
    static func details(_ report: BenchReport, bullet: String = "  ", code: (String) -> String = { $0 }) -> [String] {
        var lines: [String] = []
        if let budget = report.budget {
            let failed = report.variants.filter { !($0.budget?.passed ?? true) }
            lines.append(
                "budget \(code(budget)): " + (failed.isEmpty ? "all variants pass" : "\(failed.count) of \(report.variants.count) variants fail"))
            for v in failed {
                for reason in v.budget?.failures ?? [] { lines.append("\(bullet)\(v.label): \(reason)") }
            }
        }
        if !report.variants.isEmpty {
            lines.append("steady state:")
            for v in report.variants {
                let l = v.latency_ms
                let growth = (v.rss_growth_bytes >= 0 ? "+" : "-") + Fmt.bytes(Double(abs(v.rss_growth_bytes)))
                lines.append(
                    "\(bullet)\(v.label): min \(Fmt.ms(l.min)), mean \(Fmt.ms(l.mean)) ± \(Fmt.ms(l.std)) (std), max \(Fmt.ms(l.max)); warm-up mean \(Fmt.ms(v.warmup_mean_ms)); RSS growth \(growth)"
                )
            }
        }
        let throughput = report.variants.filter { !$0.throughput.isEmpty }
        if !throughput.isEmpty {
            lines.append("throughput (samples/s):")
            for v in throughput {
                let points = v.throughput.map { p in
                    (p.instances == 1 ? "batch \(p.batch)" : "\(p.instances) instances × batch \(p.batch)") + " " + Fmt.rate(p.samples_per_s)
                }
                lines.append("\(bullet)\(v.label): " + points.joined(separator: ", "))
            }
        }
        let notes = report.variants.filter { !($0.batch_note ?? "").isEmpty }
        if !notes.isEmpty {
            lines.append("notes:")
            for v in notes { lines.append("\(bullet)\(v.label): \(v.batch_note ?? "")") }
        }
        let e2e = report.variants.compactMap { v in v.end_to_end.map { (v.label, $0) } }
        if !e2e.isEmpty {
            lines.append("end to end (p50 per image):")
            for (label, e) in e2e {
                lines.append(
                    "\(bullet)\(label): decode \(Fmt.ms(e.decode_ms)) + preprocess \(Fmt.ms(e.preprocess_ms)) + invoke \(Fmt.ms(e.invoke_ms)) + top-k \(Fmt.ms(e.postprocess_ms)) = \(Fmt.ms(e.total_ms)); preprocessing \(Fmt.percent(e.preprocess_share)) over \(e.images) images"
                )
            }
        }
        return lines
    }
}
