internal import Foundation
internal import LedgeCore

// TEMPORARY: minimal stand-ins for the pieces another helper writes in parallel
// (Budget, LatencyStatistics, BenchFormat, render, SVGPlot), so the runner and
// `ledge bench` build and test on their own. Delete this file when merging theirs.

/// A performance budget (stand-in: presets and `<`/`>=` terms on p50, p99, size, fps@N, rss).
public struct Budget: Sendable {
    /// The budget as text after preset expansion.
    public let text: String
    struct Term: Sendable { var metric: String; var op: String; var value: Double; var source: String }
    let terms: [Term]

    /// Parses a preset (`edge`, `cpu`, `gpu`) or a comma-separated expression.
    public static func parse(_ text: String) throws -> Budget {
        let presets = ["edge": "p50<15ms,size<5MB", "cpu": "p50<3ms,fps>=1000", "gpu": "p50<1ms,fps>=5000"]
        let expanded = presets[text.lowercased()] ?? text
        var terms: [Term] = []
        for raw in expanded.split(separator: ",", omittingEmptySubsequences: false) {
            let s = raw.trimmingCharacters(in: .whitespaces)
            guard let opRange = s.range(of: ">=") ?? s.range(of: "<=") ?? s.range(of: "<") ?? s.range(of: ">") else {
                throw LedgeError.usage("--budget: bad term '\(s)'")
            }
            let metric = String(s[..<opRange.lowerBound]).lowercased()
            var rest = String(s[opRange.upperBound...]).lowercased()
            var scale = 1.0
            for (suffix, factor) in [("ms", 1.0), ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("b", 1.0), ("s", 1000.0)] where rest.hasSuffix(suffix) {
                scale = factor; rest.removeLast(suffix.count); break
            }
            guard let v = Double(rest), !metric.isEmpty else { throw LedgeError.usage("--budget: bad term '\(s)'") }
            terms.append(Term(metric: metric, op: String(s[opRange]), value: v * scale, source: s))
        }
        return Budget(text: expanded, terms: terms)
    }

    /// Checks each term against a variant's measurements.
    public func evaluate(_ v: VariantResult) -> BudgetVerdict {
        var failures: [String] = []
        for t in terms {
            let actual: Double?
            switch t.metric {
            case "p50": actual = v.latency_ms.p50
            case "p90": actual = v.latency_ms.p90
            case "p99": actual = v.latency_ms.p99
            case "size": actual = Double(v.size_bytes)
            case "rss": actual = Double(v.rss_peak_bytes)
            case "fps": actual = v.largestBatchThroughput?.samples_per_s
            default:
                if t.metric.hasPrefix("fps@"), let b = Int(t.metric.dropFirst(4)) {
                    actual = v.throughput.first { $0.batch == b && $0.instances == 1 }?.samples_per_s
                } else { actual = nil }
            }
            guard let actual else { failures.append("\(t.source): not measured"); continue }
            let ok: Bool
            switch t.op {
            case "<": ok = actual < t.value
            case "<=": ok = actual <= t.value
            case ">": ok = actual > t.value
            default: ok = actual >= t.value
            }
            if !ok { failures.append("\(t.metric) \(actual) is not \(t.op) \(t.value) (\(t.source))") }
        }
        return BudgetVerdict(passed: failures.isEmpty, failures: failures)
    }
}

/// Latency statistics (stand-in: sorted-array nearest rank).
public enum LatencyStatistics {
    public static func summarize(_ samplesMs: [Double]) -> LatencySummary {
        guard !samplesMs.isEmpty else { return LatencySummary(count: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0, std: 0) }
        let s = samplesMs.sorted()
        func q(_ p: Double) -> Double { s[Swift.min(s.count - 1, Swift.max(0, Int((p * Double(s.count)).rounded(.up)) - 1))] }
        let mean = s.reduce(0, +) / Double(s.count)
        let variance = s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(s.count)
        return LatencySummary(count: s.count, min: s[0], p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.count - 1],
                              mean: mean, std: variance.squareRoot())
    }
}

/// Report formats.
public enum BenchFormat: String, Sendable, CaseIterable {
    case table, json, csv, markdown
}

/// Renders a report (stand-in: JSON for every format, a plain line per variant for the table).
public func render(_ report: BenchReport, format: BenchFormat, color: Bool) throws -> String {
    switch format {
    case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    default:
        return report.variants.map { v in
            var line = "\(v.label) p50 \(v.latency_ms.p50) ms"
            if let note = v.batch_note { line += " (\(note))" }
            if let b = v.budget { line += b.passed ? " PASS" : " FAIL: " + b.failures.joined(separator: "; ") }
            return line
        }.joined(separator: "\n")
    }
}

/// SVG plot (stand-in).
public enum SVGPlot {
    public static func render(_ report: BenchReport) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>\n"
    }
}
