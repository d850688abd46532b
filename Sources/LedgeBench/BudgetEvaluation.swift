extension Budget {
    /// The reason `term` fails for `v`, or nil when it holds.
    static func failure(of term: BudgetTerm, for v: VariantResult) -> String? {
        let name = term.metric.name
        let actual: Double
        switch measured(term.metric, in: v) {
        case .success(let value): actual = value
        case .failure(let reason): return "\(name) not measured (\(reason.text))"
        }
        if term.op.holds(actual, term.limit) { return nil }
        return "\(name) \(show(actual, like: term)) is not \(term.op.rawValue) \(term.limitText)"
    }

    /// Why a metric has no value.
    struct Missing: Error { let text: String }

    /// The value of `metric` for `v` in its base unit (ms, bytes, samples/s).
    static func measured(_ metric: BudgetMetric, in v: VariantResult) -> Result<Double, Missing> {
        switch metric {
        case .latency(let stat):
            let l = v.latency_ms
            guard l.count > 0 else { return .failure(Missing(text: "no steady-state runs")) }
            switch stat {
            case .min: return .success(l.min)
            case .p50: return .success(l.p50)
            case .p90: return .success(l.p90)
            case .p99: return .success(l.p99)
            case .max: return .success(l.max)
            case .mean: return .success(l.mean)
            case .std: return .success(l.std)
            }
        case .load: return .success(v.load_ms)
        case .first: return .success(v.first_ms)
        case .size: return .success(Double(v.size_bytes))
        case .rss:
            guard v.rss_peak_bytes > 0 else { return .failure(Missing(text: "peak RSS unavailable on this system")) }
            return .success(Double(v.rss_peak_bytes))
        case .rssGrowth: return .success(Double(v.rss_growth_bytes))
        case .fps(let batch, let instances):
            let point: ThroughputPoint?
            if let batch {
                point = v.throughput.first { $0.batch == batch && $0.instances == instances }
            } else {
                point = v.largestBatchThroughput
            }
            if let point { return .success(point.samples_per_s) }
            return .failure(Missing(text: missingThroughputReason(batch: batch, instances: instances, in: v)))
        }
    }

    private static func missingThroughputReason(batch: Int?, instances: Int, in v: VariantResult) -> String {
        if let batch, batch > 1, let note = v.batch_note, !note.isEmpty, instances == 1 || !v.throughput.contains(where: { $0.batch == batch }) {
            return note
        }
        if v.throughput.isEmpty {
            return v.batch_note.map { $0.isEmpty ? "no throughput measured" : $0 } ?? "no throughput measured"
        }
        let measured = v.throughput.map { $0.instances == 1 ? "\($0.batch)" : "\($0.batch)x\($0.instances)" }
        return "measured: fps@" + measured.joined(separator: ", fps@")
    }

    /// `actual` formatted in the unit family of `term`, e.g. `14.20 ms`, `5.4 MB`, `812.3 samples/s`.
    static func show(_ actual: Double, like term: BudgetTerm) -> String {
        switch term.metric.kind {
        case .time:
            switch term.unit.symbol {
            case "us": return Fmt.fixed(actual * 1000, 1) + " us"
            case "s": return Fmt.fixed(actual / 1000, 4) + " s"
            default: return Fmt.fixed(actual, 2) + " ms"
            }
        case .bytes:
            let text = Fmt.bytes(actual, binary: term.unit.binary)
            // When rounding hides the difference (5.0 MB is not < 5 MB), add the exact byte count.
            let limitShown = Fmt.bytes(term.limit, binary: term.unit.binary)
            return text == limitShown && actual != term.limit ? "\(text) (\(Int(actual)) B)" : text
        case .rate:
            return Fmt.fixed(actual, 1) + " samples/s"
        }
    }
}
