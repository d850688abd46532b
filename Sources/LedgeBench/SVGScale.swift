#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// A plot axis: linear from 0, or log10 when the values span more than `logSpan` (so a 30 us
/// model and a 15 ms model, or 60/s and 180 000/s, are both readable on one chart).
struct Scale {
    let log: Bool
    let lo: Double
    let hi: Double
    let ticks: [Double]

    static let logSpan = 30.0

    /// A scale covering `values` (non-finite and negative values ignored) with `headroom` above the largest.
    init(covering values: [Double], headroom: Double = 1.08) {
        let usable = values.filter { $0.isFinite && $0 >= 0 }
        let top = usable.max() ?? 1
        let smallest = usable.filter { $0 > 0 }.min() ?? top
        if smallest > 0, top / smallest > Self.logSpan {
            let loExp = floor(log10(smallest)), hiExp = ceil(log10(top * headroom))
            log = true
            lo = pow(10, loExp)
            hi = pow(10, Swift.max(hiExp, loExp + 1))
            let decades = Int(log10(hi / lo))
            var t: [Double] = []
            for k in 0...decades {
                let d = lo * pow(10, Double(k))
                t.append(d)
                if decades <= 3, k < decades { t += [2 * d, 5 * d] }
            }
            ticks = t
        } else {
            log = false
            lo = 0
            ticks = SVGPlot.ticks(upTo: Swift.max(top * headroom, 1e-6))
            hi = Swift.max(ticks.last ?? 1, 1e-9)
        }
    }

    /// Where `value` falls between `lo` (0) and `hi` (1), clamped.
    func fraction(_ value: Double) -> Double {
        guard value.isFinite else { return 0 }
        let f: Double
        if log {
            f = value <= lo ? 0 : log10(value / lo) / log10(hi / lo)
        } else {
            f = value / hi
        }
        return Swift.min(Swift.max(f, 0), 1)
    }

    /// True when `value` is beyond the top of the axis.
    func beyond(_ value: Double) -> Bool { value > hi }

    /// `" (log scale)"` for a log axis, else empty.
    var suffix: String { log ? ", log scale" : "" }
}
