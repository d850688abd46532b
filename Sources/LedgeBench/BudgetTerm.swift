// One term of a `--budget` expression: METRIC OP VALUE[UNIT], e.g. `p50<15ms`.
//
// Units, decided here and documented in the README:
// - latency metrics (`min p50 p90 p99 max mean std`) and `load`, `first`: `us` (or `µs`), `ms`, `s`;
//   no unit means milliseconds.
// - `size`, `rss`, `rss_growth`: `B`; `KB`, `MB`, `GB` are decimal (1000-based, like file
//   managers and `ls --si`); `KiB`, `MiB`, `GiB` are binary (1024-based); no unit means bytes.
// - `fps`, `fps@N`, `fps@NxI`: samples per second, no unit (`/s` is accepted).
// Units are matched case-insensitively except that `b`/`B` both mean bytes.

/// A latency statistic of the steady-state runs.
public enum LatencyStat: String, Sendable, Hashable, CaseIterable {
    /// The fastest run, the percentiles, the slowest run, the mean and the population standard deviation.
    case min, p50, p90, p99, max, mean, std
}

/// What a budget term measures.
public enum BudgetMetric: Sendable, Hashable {
    /// A steady-state latency statistic, in milliseconds.
    case latency(LatencyStat)
    /// Load (read + compile) time, in milliseconds.
    case load
    /// The first inference, in milliseconds.
    case first
    /// The model file size, in bytes.
    case size
    /// Peak resident set size, in bytes.
    case rss
    /// Resident set growth from load to end, in bytes.
    case rssGrowth
    /// Samples per second at `batch` (nil: the largest batch measured) with `instances` sessions.
    case fps(batch: Int?, instances: Int)

    /// The metric as written in an expression, e.g. `p50`, `rss_growth`, `fps@32`, `fps@8x2`.
    public var name: String {
        switch self {
        case .latency(let s): return s.rawValue
        case .load: return "load"
        case .first: return "first"
        case .size: return "size"
        case .rss: return "rss"
        case .rssGrowth: return "rss_growth"
        case .fps(let batch, let instances):
            guard let batch else { return "fps" }
            return instances == 1 ? "fps@\(batch)" : "fps@\(batch)x\(instances)"
        }
    }

    /// The kind of quantity, which decides the units.
    enum Kind { case time, bytes, rate }

    var kind: Kind {
        switch self {
        case .latency, .load, .first: return .time
        case .size, .rss, .rssGrowth: return .bytes
        case .fps: return .rate
        }
    }

    /// The metric names `--budget` knows, for error messages.
    static let knownNames = "min, p50, p90, p99, max, mean, std, load, first, size, rss, rss_growth, fps, fps@N, fps@NxI"
}

/// A comparison operator of a budget term.
public enum BudgetOperator: String, Sendable, Hashable, CaseIterable {
    /// `<`
    case lessThan = "<"
    /// `<=`
    case lessOrEqual = "<="
    /// `>`
    case greaterThan = ">"
    /// `>=`
    case greaterOrEqual = ">="
    /// `=` (or `==`): equal within a relative 1e-9.
    case equal = "="

    /// True when `actual OP limit` holds.
    public func holds(_ actual: Double, _ limit: Double) -> Bool {
        switch self {
        case .lessThan: return actual < limit
        case .lessOrEqual: return actual <= limit
        case .greaterThan: return actual > limit
        case .greaterOrEqual: return actual >= limit
        case .equal: return abs(actual - limit) <= 1e-9 * Swift.max(abs(actual), abs(limit))
        }
    }
}

/// A unit a budget value may carry; `factor` converts it to the metric's base unit (ms, bytes, samples/s).
struct BudgetUnit: Sendable, Hashable {
    let symbol: String
    let factor: Double
    /// True for KiB/MiB/GiB: actual values are then shown in binary units too.
    var binary = false

    static let time: [BudgetUnit] = [.init(symbol: "us", factor: 0.001), .init(symbol: "ms", factor: 1), .init(symbol: "s", factor: 1000)]
    static let bytes: [BudgetUnit] = [
        .init(symbol: "B", factor: 1), .init(symbol: "KB", factor: 1e3), .init(symbol: "MB", factor: 1e6),
        .init(symbol: "GB", factor: 1e9), .init(symbol: "KiB", factor: 1024, binary: true),
        .init(symbol: "MiB", factor: 1_048_576, binary: true), .init(symbol: "GiB", factor: 1_073_741_824, binary: true),
    ]

    static func units(for kind: BudgetMetric.Kind) -> [BudgetUnit] {
        switch kind {
        case .time: return time
        case .bytes: return bytes
        case .rate: return []
        }
    }

    /// The unit written as `text` (case-insensitive), nil when unknown for `kind`; empty text gives the default unit.
    static func find(_ text: String, for kind: BudgetMetric.Kind) -> BudgetUnit? {
        switch (kind, text) {
        case (.time, ""): return time[1]
        case (.bytes, ""): return bytes[0]
        case (.rate, ""), (.rate, "/s"), (.rate, "/S"): return BudgetUnit(symbol: "", factor: 1)
        default: break
        }
        let t = text == "µs" || text == "μs" ? "us" : text
        return units(for: kind).first { $0.symbol.lowercased() == t.lowercased() }
    }
}

/// One parsed term: `metric op value`, the value in the metric's base unit.
public struct BudgetTerm: Sendable, Hashable, CustomStringConvertible {
    /// What is measured.
    public let metric: BudgetMetric
    /// How the measurement must compare with the limit.
    public let op: BudgetOperator
    /// The limit in the metric's base unit: milliseconds, bytes or samples per second.
    public let limit: Double
    /// The limit as written, with its unit, e.g. `15 ms`, `5 MB`, `1000`.
    public let limitText: String
    let unit: BudgetUnit
    /// The canonical text, e.g. `p50<15ms`, `fps@32>=1000`.
    public let description: String
}
