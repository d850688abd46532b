internal import Histogram

/// Latency statistics of a set of samples.
///
/// Percentiles come from an HdrHistogram at microsecond resolution with 3
/// significant digits (so a reported percentile is within 0.1% of the true
/// sample value, rounded up to the histogram bucket's upper edge and clamped to
/// the recorded min/max). `min`, `max`, `mean` and `std` are exact, computed
/// from the samples themselves; `std` is the population standard deviation
/// (divide by n), the spread of exactly these runs.
public enum LatencyStatistics {
    /// Summarizes latency samples given in milliseconds. Negative and non-finite
    /// samples are ignored; no samples gives an all-zero summary with count 0.
    public static func summarize(_ samplesMs: [Double]) -> LatencySummary {
        let samples = samplesMs.filter { $0.isFinite && $0 >= 0 }
        guard let first = samples.first else {
            return LatencySummary(count: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0, std: 0)
        }
        var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        var lo = first, hi = first, sum = 0.0
        for s in samples {
            lo = Swift.min(lo, s)
            hi = Swift.max(hi, s)
            sum += s
            _ = histogram.record(microseconds(s))
        }
        let n = Double(samples.count)
        let mean = sum / n
        let variance = samples.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / n
        func percentile(_ p: Double) -> Double {
            // Keep percentiles inside the exact [min, max]: the histogram works in whole microseconds.
            Swift.min(hi, Swift.max(lo, Double(histogram.valueAtPercentile(p)) / 1000))
        }
        return LatencySummary(
            count: samples.count, min: lo, p50: percentile(50), p90: percentile(90),
            p99: percentile(99), max: hi, mean: mean, std: variance.squareRoot())
    }

    /// `ms` in whole microseconds, saturating for absurd values.
    static func microseconds(_ ms: Double) -> UInt64 {
        let us = (ms * 1000).rounded()
        return us >= Double(UInt64.max / 4) ? UInt64.max / 4 : UInt64(us)
    }

    /// The value at `fraction` (0...1) of sorted `samples` by linear interpolation; for plots.
    static func quantile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = Swift.min(Swift.max(fraction, 0), 1) * Double(sorted.count - 1)
        let below = Int(position)
        let above = Swift.min(below + 1, sorted.count - 1)
        return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
    }
}
