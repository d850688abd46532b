import Foundation
import LedgeTesting
import Testing
@testable import LedgeBench

@Suite struct StatisticsTests {
    @Test func oneToHundredMilliseconds() {
        let s = LatencyStatistics.summarize((1...100).map(Double.init).shuffled())
        #expect(s.count == 100)
        #expect(s.min == 1 && s.max == 100)
        #expect(abs(s.p50 - 50) <= 0.05 && s.p50 >= 50)
        #expect(abs(s.p90 - 90) <= 0.09 && s.p90 >= 90)
        #expect(abs(s.p99 - 99) <= 0.1 && s.p99 >= 99)
        #expect(s.mean == 50.5)
        // Population standard deviation of 1...100: sqrt((100^2 - 1) / 12).
        #expect(abs(s.std - 28.866070047722118) < 1e-9)
    }

    @Test func constantSamplesHaveNoSpread() {
        let s = LatencyStatistics.summarize([Double](repeating: 3.25, count: 40))
        #expect(s == LatencySummary(count: 40, min: 3.25, p50: 3.25, p90: 3.25, p99: 3.25, max: 3.25, mean: 3.25, std: 0))
    }

    @Test func microsecondSamplesAndOrdering() {
        let samples = [0.012, 0.5, 0.0504, 2.75, 0.9, 0.3]
        let s = LatencyStatistics.summarize(samples)
        #expect(s.min == 0.012 && s.max == 2.75)
        #expect(s.min <= s.p50 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max)
        #expect(abs(s.p50 - 0.3) < 0.001)
    }

    @Test func emptyAndBadSamples() {
        #expect(LatencyStatistics.summarize([]).count == 0)
        let s = LatencyStatistics.summarize([.nan, -1, .infinity, 4])
        #expect(s == LatencySummary(count: 1, min: 4, p50: 4, p90: 4, p99: 4, max: 4, mean: 4, std: 0))
        let one = LatencyStatistics.summarize([1e12])
        #expect(one.count == 1 && one.max == 1e12)
    }

    @Test func percentilesWithinHdrHistogramPrecisionOfExactRanks() {
        var rng = SeededGenerator(seed: 7)
        // A skewed, latency-like distribution: 5 ms plus an exponential tail.
        let samples = (0..<10_000).map { _ in 5 - 2 * Foundation.log(Double.random(in: 0.000001..<1, using: &rng)) }
        let sorted = samples.sorted()
        func rank(_ p: Double) -> Double { sorted[Int((p * Double(sorted.count)).rounded(.up)) - 1] }
        let s = LatencyStatistics.summarize(samples)
        for (value, p) in [(s.p50, 0.5), (s.p90, 0.9), (s.p99, 0.99)] {
            // 3 significant digits at microsecond resolution: within 0.1% plus the 1 us rounding.
            #expect(abs(value - rank(p)) <= rank(p) * 0.001 + 0.001, "p\(Int(p * 100)) \(value) vs \(rank(p))")
        }
        #expect(s.min == sorted.first && s.max == sorted.last)
    }
}
