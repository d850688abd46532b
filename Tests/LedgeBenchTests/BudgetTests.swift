import LedgeCore
import Testing
@testable import LedgeBench

@Suite struct BudgetTests {
    func usageMessage(_ text: String) -> String? {
        do {
            _ = try Budget.parse(text)
            return nil
        } catch let error as LedgeError {
            #expect(error.code == .usage)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func presetsExpand() throws {
        #expect(try Budget.parse("edge").text == "p50<15ms,size<5MB")
        #expect(try Budget.parse("cpu").text == "p50<3ms,fps>=1000")
        #expect(try Budget.parse("gpu").text == "p50<1ms,fps>=5000")
        #expect(try Budget.parse(" EDGE , p99<25ms ").text == "p50<15ms,size<5MB,p99<25ms")
    }

    @Test func parsesTermsAndUnits() throws {
        let b = try Budget.parse("p50<15ms,p99<=25000us,max<0.1s,size<5MB,rss<200MiB,rss_growth<=1000,fps@32>=1000,fps@8x2>10,load<2,first=30ms")
        #expect(
            b.terms.map(\.metric) == [
                .latency(.p50), .latency(.p99), .latency(.max), .size, .rss, .rssGrowth,
                .fps(batch: 32, instances: 1), .fps(batch: 8, instances: 2), .load, .first,
            ])
        #expect(
            b.terms.map(\.op) == [
                .lessThan, .lessOrEqual, .lessThan, .lessThan, .lessThan, .lessOrEqual,
                .greaterOrEqual, .greaterThan, .lessThan, .equal,
            ])
        #expect(b.terms.map(\.limit) == [15, 25, 100, 5_000_000, 200 * 1_048_576, 1000, 1000, 10, 2, 30])
        #expect(b.text == "p50<15ms,p99<=25000us,max<0.1s,size<5MB,rss<200MiB,rss_growth<=1000B,fps@32>=1000,fps@8x2>10,load<2ms,first=30ms")
        #expect(try Budget.parse("size < 1 kb").terms[0].limit == 1000)
    }

    @Test func malformedExpressionsNameTheTerm() {
        #expect(
            usageMessage("p50<<15ms,size<5MB")
                == "--budget: bad term 'p50<<15ms' (term 1 of 2): expected METRIC OP VALUE[UNIT], e.g. p50<15ms, size<5MB, fps@32>=1000")
        #expect(
            usageMessage("p50<15ms,size<")
                == "--budget: bad term 'size<' (term 2 of 2): expected METRIC OP VALUE[UNIT], e.g. p50<15ms, size<5MB, fps@32>=1000")
        #expect(
            usageMessage("p50<15ms,,size<5MB")
                == "--budget: bad term '' (term 2 of 3): expected METRIC OP VALUE[UNIT], e.g. p50<15ms, size<5MB, fps@32>=1000")
        #expect(
            usageMessage("laptop")
                == "--budget: bad term 'laptop' (term 1 of 1): not a preset (edge, cpu, gpu) nor METRIC OP VALUE[UNIT], e.g. p50<15ms, size<5MB, fps@32>=1000"
        )
        #expect(
            usageMessage("p95<10ms")
                == "--budget: unknown metric 'p95' in term 'p95<10ms' (term 1 of 1): known metrics are min, p50, p90, p99, max, mean, std, load, first, size, rss, rss_growth, fps, fps@N, fps@NxI"
        )
        #expect(
            usageMessage("edge,size<5mbit")
                == "--budget: unknown unit 'mbit' in term 'size<5mbit' (term 2 of 2): size takes B, KB, MB, GB (1000-based) or KiB, MiB, GiB (1024-based), default B"
        )
        #expect(usageMessage("p50<15min") == "--budget: unknown unit 'min' in term 'p50<15min' (term 1 of 1): p50 takes us, ms or s (default ms)")
        #expect(usageMessage("fps>=10ms") == "--budget: unknown unit 'ms' in term 'fps>=10ms' (term 1 of 1): fps is in samples/s and takes no unit")
        #expect(
            usageMessage("fps@0>=10")
                == "--budget: bad metric 'fps@0' in term 'fps@0>=10' (term 1 of 1): expected fps@N or fps@NxI (batch N, I instances, both >= 1)")
        #expect(
            usageMessage("p50 ! 3")
                == "--budget: bad term 'p50 ! 3' (term 1 of 1): expected METRIC OP VALUE[UNIT], e.g. p50<15ms, size<5MB, fps@32>=1000")
        #expect(usageMessage("") == "--budget: empty budget: expected a preset (edge, cpu, gpu) or terms, e.g. p50<15ms, size<5MB, fps@32>=1000")
        #expect(usageMessage(" , ") == "--budget: empty budget: expected a preset (edge, cpu, gpu) or terms, e.g. p50<15ms, size<5MB, fps@32>=1000")
    }

    @Test func verdictGivesAReasonPerFailedTerm() throws {
        let v = Samples.variant()
        let verdict = try Budget.parse("p50<10ms,size<1KB,fps@32>=1000,p99<25ms").evaluate(v)
        #expect(!verdict.passed)
        #expect(
            verdict.failures == [
                "p50 14.20 ms is not < 10 ms",
                "size 5.4 MB is not < 1 KB",
                "fps@32 not measured (fixed batch 1: input 'images' has shape [1, 224, 224, 3])",
            ])
        #expect(try Budget.parse("edge").evaluate(v).failures == ["size 5.4 MB is not < 5 MB"])
        #expect(try Budget.parse("size<5.5MB,p50<=14.2,rss<100MB").evaluate(v) == BudgetVerdict(passed: true, failures: []))
        #expect(try Budget.parse("size<5422KB").evaluate(v).failures == ["size 5.4 MB (5422160 B) is not < 5422 KB"])
        #expect(try Budget.parse("size<5MiB").evaluate(v).failures == ["size 5.2 MiB is not < 5 MiB"])
        #expect(try Budget.parse("p50<900us").evaluate(v).failures == ["p50 14200.0 us is not < 900 us"])
    }

    @Test func throughputTerms() throws {
        let v = Samples.onnx
        #expect(try Budget.parse("cpu").evaluate(v).failures == ["p50 7.10 ms is not < 3 ms", "fps 402.5 samples/s is not >= 1000 samples/s"])
        #expect(try Budget.parse("fps@8>=300,fps@1x2>=200").evaluate(v).passed)
        #expect(try Budget.parse("fps@4>=1").evaluate(v).failures == ["fps@4 not measured (measured: fps@1, fps@8, fps@32, fps@1x2)"])
        let fixed = Samples.variant(throughput: [ThroughputPoint(batch: 1, samplesPerSecond: 70)])
        #expect(try Budget.parse("fps>=100").evaluate(fixed).failures == ["fps 70.0 samples/s is not >= 100 samples/s"])
        let none = Samples.variant(batchNote: nil, rss: 0)
        #expect(
            try Budget.parse("gpu,rss<1GB").evaluate(none).failures == [
                "p50 14.20 ms is not < 1 ms", "fps not measured (no throughput measured)", "rss not measured (peak RSS unavailable on this system)",
            ])
    }
}
