internal import LedgeCore

/// A performance budget: a list of terms every variant must meet, e.g.
/// `p50<15ms,p99<25ms,size<5MB,fps@32>=1000,rss<200MB`, or a preset.
///
/// Presets: `edge` = `p50<15ms,size<5MB`; `cpu` = `p50<3ms,fps>=1000`;
/// `gpu` = `p50<1ms,fps>=5000` (`fps` without `@N` is the throughput at the
/// largest batch measured). Presets combine with terms: `edge,p99<25ms`.
public struct Budget: Sendable, Hashable {
    /// The expression after preset expansion, e.g. `p50<15ms,size<5MB,p99<25ms`.
    public let text: String
    /// One term of the expression.
    public typealias Term = BudgetTerm

    /// The terms in order.
    public let terms: [Term]

    /// The presets and the terms they stand for.
    public static let presets: [(name: String, expression: String)] = [
        ("edge", "p50<15ms,size<5MB"),
        ("cpu", "p50<3ms,fps>=1000"),
        ("gpu", "p50<1ms,fps>=5000"),
    ]

    static let example = "e.g. p50<15ms, size<5MB, fps@32>=1000"

    /// Parses a budget expression; throws `LedgeError.usage` naming the bad term.
    public static func parse(_ text: String) throws -> Budget {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { trim($0) }
        if parts.allSatisfy(\.isEmpty) {
            throw LedgeError.usage("--budget: empty budget: expected a preset (edge, cpu, gpu) or terms, \(example)")
        }
        var terms: [BudgetTerm] = []
        for (index, part) in parts.enumerated() {
            let position = "(term \(index + 1) of \(parts.count))"
            if let preset = presets.first(where: { $0.name == part.lowercased() }) {
                for sub in preset.expression.split(separator: ",") {
                    terms.append(try parseTerm(String(sub), position: position))
                }
            } else {
                terms.append(try parseTerm(part, position: position))
            }
        }
        return Budget(text: terms.map(\.description).joined(separator: ","), terms: terms)
    }

    /// Evaluates every term against one variant. A term on something not measured fails.
    public func evaluate(_ v: VariantResult) -> BudgetVerdict {
        let failures = terms.compactMap { Self.failure(of: $0, for: v) }
        return BudgetVerdict(passed: failures.isEmpty, failures: failures)
    }

    // MARK: Parsing

    private static func trim(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    private static let operatorCharacters: Set<Character> = ["<", ">", "=", "!"]

    private static func parseTerm(_ term: String, position: String) throws -> BudgetTerm {
        let shapeError = LedgeError.usage(
            "--budget: bad term '\(term)' \(position): expected METRIC OP VALUE[UNIT], \(example)")
        guard let opStart = term.firstIndex(where: { operatorCharacters.contains($0) }) else {
            throw term.isEmpty || term.contains(where: \.isNumber)
                ? shapeError
                : LedgeError.usage("--budget: bad term '\(term)' \(position): not a preset (edge, cpu, gpu) nor METRIC OP VALUE[UNIT], \(example)")
        }
        let metricText = trim(term[..<opStart]).lowercased()
        let afterMetric = term[opStart...]
        let opText = String(afterMetric.prefix { operatorCharacters.contains($0) })
        let op: BudgetOperator? = opText == "==" ? .equal : BudgetOperator(rawValue: opText)
        guard let op, !metricText.isEmpty else { throw shapeError }
        let valueText = trim(afterMetric.dropFirst(opText.count))
        let numberText = String(valueText.prefix { $0.isNumber || $0 == "." })
        let unitText = trim(valueText.dropFirst(numberText.count))
        guard let number = Double(numberText), number.isFinite else { throw shapeError }

        let metric = try parseMetric(metricText, term: term, position: position)
        guard let unit = BudgetUnit.find(unitText, for: metric.kind) else {
            let allowed: String
            switch metric.kind {
            case .time: allowed = "\(metric.name) takes us, ms or s (default ms)"
            case .bytes: allowed = "\(metric.name) takes B, KB, MB, GB (1000-based) or KiB, MiB, GiB (1024-based), default B"
            case .rate: allowed = "\(metric.name) is in samples/s and takes no unit"
            }
            throw LedgeError.usage("--budget: unknown unit '\(unitText)' in term '\(term)' \(position): \(allowed)")
        }
        let shownUnit = unitText.isEmpty && metric.kind == .time ? "ms" : unit.symbol
        let limitText = numberText + " " + (shownUnit.isEmpty ? "samples/s" : shownUnit)
        return BudgetTerm(
            metric: metric, op: op, limit: number * unit.factor, limitText: limitText, unit: unit,
            description: metric.name + op.rawValue + numberText + shownUnit)
    }

    private static func parseMetric(_ text: String, term: String, position: String) throws -> BudgetMetric {
        switch text {
        case "load": return .load
        case "first": return .first
        case "size": return .size
        case "rss": return .rss
        case "rss_growth": return .rssGrowth
        case "fps": return .fps(batch: nil, instances: 1)
        default: break
        }
        if let stat = LatencyStat(rawValue: text) { return .latency(stat) }
        if text.hasPrefix("fps@") {
            let spec = text.dropFirst(4).split(separator: "x", omittingEmptySubsequences: false)
            let numbers = spec.map { Int($0) }
            if (1...2).contains(spec.count), numbers.allSatisfy({ ($0 ?? 0) >= 1 }) {
                return .fps(batch: numbers[0], instances: spec.count == 2 ? numbers[1] ?? 1 : 1)
            }
            throw LedgeError.usage(
                "--budget: bad metric '\(text)' in term '\(term)' \(position): expected fps@N or fps@NxI (batch N, I instances, both >= 1)")
        }
        throw LedgeError.usage(
            "--budget: unknown metric '\(text)' in term '\(term)' \(position): known metrics are \(BudgetMetric.knownNames)")
    }
}
