#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import CLedgeQuantize
#if canImport(Glibc)
internal import Glibc
#endif

/// A 2048-bin histogram of one tensor's values over the calibration inputs: of the values
/// themselves over [low, high] (percentile), or of their magnitudes over [0, max |x|] (entropy).
struct Histogram {
    static let bins = 2048
    /// The quantized levels the entropy search compares against: the 256 of an 8-bit type when
    /// the tensor is never negative (all of them cover [0, threshold]), else the 128 on each side of zero.
    static func quantizedBins(low: Float) -> Int { low >= 0 ? 256 : 128 }

    let low: Float
    let width: Float
    let absolute: Bool
    private(set) var counts = [Double](repeating: 0, count: Histogram.bins)

    init(low: Float, high: Float, absolute: Bool) {
        self.absolute = absolute
        let top = absolute ? Swift.max(abs(low), abs(high)) : high
        self.low = absolute ? 0 : low
        let span = top - self.low
        self.width = span > 0 ? span / Float(Self.bins) : 1
    }

    mutating func add(_ values: UnsafeBufferPointer<Float>) {
        let (low, width, absolute) = (self.low, self.width, self.absolute)
        counts.withUnsafeMutableBufferPointer { counts in
            ledge_q_histogram(values.baseAddress, values.count, low, width, absolute ? 1 : 0, counts.baseAddress, counts.count)
        }
    }

    /// From the `percentile`-th percentile's complement to the `percentile`-th, e.g. 0.001 % to 99.999 %.
    func percentileRange(_ percentile: Double) -> TensorRange {
        let total = counts.reduce(0, +)
        let cut = total * (100 - percentile) / 100
        var lower = 0, seen = 0.0
        while lower < Self.bins - 1, seen + counts[lower] <= cut {
            seen += counts[lower]
            lower += 1
        }
        var upper = Self.bins - 1
        seen = 0
        while upper > 0, seen + counts[upper] <= cut {
            seen += counts[upper]
            upper -= 1
        }
        return TensorRange(min: low + Float(lower) * width, max: low + Float(upper + 1) * width)
    }

    /// The range clipped at the magnitude threshold whose 128-level form of the histogram is
    /// closest (least KL divergence) to the histogram with everything beyond it added to its last bin
    /// (TensorRT's search; ONNX Runtime's, with its default 128 bins, has a single candidate: the whole range).
    func entropyRange(low tensorLow: Float, high tensorHigh: Float) -> TensorRange {
        let levels = Self.quantizedBins(low: tensorLow)
        var best = (divergence: Double.infinity, bins: Self.bins)
        for end in stride(from: levels, through: Self.bins, by: 8) {
            let divergence = Self.divergence(counts, end: end, levels: levels)
            if divergence < best.divergence { best = (divergence, end) }
        }
        let threshold = Float(best.bins) * width
        return TensorRange(min: Swift.max(tensorLow, -threshold), max: Swift.min(tensorHigh, threshold))
    }

    /// KL(P‖Q): P is `counts[0..<end]` with the tail folded into its last bin, Q is P merged into
    /// `levels` levels and spread back over the bins of each level that were not empty.
    static func divergence(_ counts: [Double], end: Int, levels quantizedBins: Int) -> Double {
        var reference = Array(counts[0..<end])
        reference[end - 1] += counts[end...].reduce(0, +)
        let total = reference.reduce(0, +)
        guard total > 0 else { return .infinity }
        var expanded = [Double](repeating: 0, count: end)
        let perLevel = Double(end) / Double(quantizedBins)
        for level in 0..<quantizedBins {
            let start = Int((Double(level) * perLevel).rounded(.down))
            let stop = level == quantizedBins - 1 ? end : Int((Double(level + 1) * perLevel).rounded(.down))
            guard stop > start else { continue }
            var sum = 0.0
            var nonEmpty = 0
            for bin in start..<stop where counts[bin] > 0 {
                sum += counts[bin]
                nonEmpty += 1
            }
            guard nonEmpty > 0 else { continue }
            let share = sum / Double(nonEmpty)
            for bin in start..<stop where counts[bin] > 0 { expanded[bin] = share }
        }
        let expandedTotal = expanded.reduce(0, +)
        var divergence = 0.0
        for bin in 0..<end where reference[bin] > 0 {
            let p = reference[bin] / total
            // A bin Q left empty (only the folded tail can be) costs as if Q held a tiny share.
            let q = expanded[bin] > 0 ? expanded[bin] / expandedTotal : 1e-12
            divergence += p * log(p / q)
        }
        return divergence
    }
}
