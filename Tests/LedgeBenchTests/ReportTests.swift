import Foundation
import Testing
@testable import LedgeBench

@Suite struct ReportTests {
    /// A baseline TFLite variant failing `edge`, and an ONNX one with batch rows passing it.
    static func report() throws -> BenchReport {
        let budget = try Budget.parse("edge")
        var a = Samples.variant()
        a.budget = budget.evaluate(a)
        var b = Samples.onnx
        b.size_bytes = 2_711_080
        b.budget = budget.evaluate(b)
        b.end_to_end = EndToEndSummary(
            images: 3, decodeMs: 2, preprocessMs: 1.5, invokeMs: 7, postprocessMs: 0.05, totalMs: 10.55, imagesPerSecond: 93.5)
        return BenchReport(ledgeVersion: "0.3.0", budget: budget.text, variants: [a, b])
    }

    @Test func tableIsAlignedWithReasonsBelow() throws {
        let text = try render(Self.report(), format: .table, color: false)
        let expected = """
            variant                       runtime               size       load     first  runs       p50       p90       p99  fps (batch)  RSS peak  vs baseline           budget
            efficientnet_lite0.tflite t1  litert 1.4.0        5.4 MB   41.50 ms  30.25 ms    50  14.20 ms  15.20 ms  17.20 ms            -   88.0 MB  baseline              FAIL
            mobilenet_gen.onnx t2         onnxruntime 1.31.1  2.7 MB  120.00 ms  25.00 ms    50   7.10 ms   8.10 ms  10.10 ms    402/s @32  150.0 MB  p50 ×0.50 size ×0.50  PASS

            budget p50<15ms,size<5MB: 1 of 2 variants fail
              efficientnet_lite0.tflite t1: size 5.4 MB is not < 5 MB
            steady state:
              efficientnet_lite0.tflite t1: min 13.20 ms, mean 14.70 ms ± 1.25 ms (std), max 19.20 ms; warm-up mean 15.20 ms; RSS growth +12.0 MB
              mobilenet_gen.onnx t2: min 6.10 ms, mean 7.60 ms ± 1.25 ms (std), max 12.10 ms; warm-up mean 8.10 ms; RSS growth +12.0 MB
            throughput (samples/s):
              mobilenet_gen.onnx t2: batch 1 141/s, batch 8 310/s, batch 32 402/s, 2 instances × batch 1 250/s
            notes:
              efficientnet_lite0.tflite t1: fixed batch 1: input 'images' has shape [1, 224, 224, 3]
            end to end (p50 per image):
              mobilenet_gen.onnx t2: decode 2.00 ms + preprocess 1.50 ms + invoke 7.00 ms + top-k 50.0 us = 10.55 ms; preprocessing 33% over 3 images
            """
        #expect(text == expected + "\n")
        #expect(!text.contains("\u{1B}"))
    }

    @Test func colourOnlyWhenAsked() throws {
        let text = try render(Self.report(), format: .table, color: true)
        #expect(text.contains("\u{1B}[31mFAIL\u{1B}[0m"))
        #expect(text.contains("\u{1B}[32mPASS\u{1B}[0m"))
        #expect(text.contains("\u{1B}[2m"))
        #expect(text.contains("\u{1B}[31m  efficientnet_lite0.tflite t1: size 5.4 MB is not < 5 MB\u{1B}[0m"))
    }

    @Test func jsonHasTheDocumentedKeys() throws {
        let text = try render(Self.report(), format: .json)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(root.keys) == ["ledge_version", "budget", "passed", "variants"])
        #expect(root["passed"] as? Bool == false)
        #expect(root["budget"] as? String == "p50<15ms,size<5MB")
        let variants = try #require(root["variants"] as? [[String: Any]])
        #expect(variants.count == 2)
        let keys: Set<String> = [
            "model", "format", "runtime", "runtime_version", "threads", "provider", "provider_requested", "size_bytes",
            "load_ms", "first_ms", "warmup_mean_ms", "latency_ms", "throughput", "batch_note",
            "rss_peak_bytes", "rss_growth_bytes", "end_to_end", "budget",
        ]
        for v in variants { #expect(Set(v.keys) == keys) }
        let latency = try #require(variants[0]["latency_ms"] as? [String: Any])
        #expect(Set(latency.keys) == ["count", "min", "p50", "p90", "p99", "max", "mean", "std"])
        #expect(latency["p50"] as? Double == 14.2)
        #expect(variants[0]["end_to_end"] is NSNull)
        #expect(variants[1]["batch_note"] is NSNull)
        let point = try #require((variants[1]["throughput"] as? [[String: Any]])?.first)
        #expect(Set(point.keys) == ["batch", "instances", "samples_per_s"])
        let e2e = try #require(variants[1]["end_to_end"] as? [String: Any])
        #expect(
            Set(e2e.keys) == [
                "images", "decode_ms", "preprocess_ms", "invoke_ms", "postprocess_ms", "total_ms", "preprocess_share", "images_per_s",
            ])
        #expect(e2e["images_per_s"] as? Double == 93.5)
        let budget = try #require(variants[0]["budget"] as? [String: Any])
        #expect(budget["passed"] as? Bool == false)
        #expect(budget["failures"] as? [String] == ["size 5.4 MB is not < 5 MB"])
        // Sorted keys, pretty-printed, and it decodes back into the Codable types.
        #expect(text.hasPrefix("{\n  \"budget\""))
        let decoded = try JSONDecoder().decode(BenchReport.self, from: Data(text.utf8))
        #expect(decoded.variants[1].throughput.count == 4)
        #expect(decoded.variants[0].latency_ms == Samples.variant().latency_ms)
    }

    /// The report is written byte for byte as Foundation's JSONSerialization wrote it (the
    /// shipped binary has no full Foundation): indents, `" : "`, key order, numbers, escapes,
    /// empty arrays.
    @Test func jsonIsWhatJSONSerializationWrites() throws {
        var odd = Samples.variant()
        odd.throughput = []
        odd.model = "models/a \"b\"\\c\td\u{1}é/😀"
        odd.budget = BudgetVerdict(passed: true, failures: [])
        odd.load_ms = 2
        for report in [
            try Self.report(), BenchReport(ledgeVersion: "0", budget: nil, variants: [odd]),
            BenchReport(ledgeVersion: "0", budget: nil, variants: []),
        ] {
            let text = try render(report, format: .json)
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            let foundation = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            #expect(text == String(decoding: foundation, as: UTF8.self) + "\n")
        }
    }

    @Test func jsonWritesNonFiniteAsNull() throws {
        var v = Samples.variant()
        v.load_ms = .nan
        let text = try render(BenchReport(ledgeVersion: "0", budget: nil, variants: [v]), format: .json)
        #expect(text.contains("\"load_ms\" : null") || text.contains("\"load_ms\":null"))
    }

    @Test func csvHeaderAndRows() throws {
        let text = try render(Self.report(), format: .csv)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(
            lines[0]
                == "variant,model,format,runtime,runtime_version,threads,provider,size_bytes,load_ms,first_ms,warmup_mean_ms,latency_ms.count,latency_ms.min,latency_ms.p50,latency_ms.p90,latency_ms.p99,latency_ms.max,latency_ms.mean,latency_ms.std,fps@1,fps@8,fps@32,fps@1x2,batch_note,rss_peak_bytes,rss_growth_bytes,end_to_end.images,end_to_end.decode_ms,end_to_end.preprocess_ms,end_to_end.invoke_ms,end_to_end.postprocess_ms,end_to_end.total_ms,end_to_end.preprocess_share,end_to_end.images_per_s,budget.passed,budget.failures"
        )
        #expect(
            lines[1]
                == "efficientnet_lite0.tflite t1,models/efficientnet_lite0.tflite,tflite,litert,1.4.0,1,cpu,5422160,41.5,30.25,15.2,50,13.2,14.2,15.2,17.2,19.2,14.7,1.25,,,,,\"fixed batch 1: input 'images' has shape [1, 224, 224, 3]\",88000000,12000000,,,,,,,,,false,size 5.4 MB is not < 5 MB"
        )
        #expect(lines[2].hasPrefix("mobilenet_gen.onnx t2,models/mobilenet_gen.onnx,onnx,onnxruntime,1.31.1,2,cpu,2711080,120.0,25.0,8.1,50,"))
        #expect(lines[2].contains(",140.8,310.25,402.5,250.0,,150000000,12000000,3,2.0,1.5,7.0,0.05,10.55,"))
        #expect(lines[2].hasSuffix(",93.5,true,"))
    }

    @Test func markdownShape() throws {
        let text = try render(Self.report(), format: .markdown)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "| variant | runtime | size | load | first | runs | p50 | p90 | p99 | fps (batch) | RSS peak | vs baseline | budget |")
        #expect(lines[1] == "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
        #expect(lines[2].hasPrefix("| efficientnet_lite0.tflite t1 | litert 1.4.0 | 5.4 MB |") && lines[2].hasSuffix("| baseline | **FAIL** |"))
        #expect(lines[3].hasSuffix("| p50 ×0.50 size ×0.50 | **PASS** |"))
        #expect(text.contains("\nbudget `p50<15ms,size<5MB`: 1 of 2 variants fail\n\n- efficientnet_lite0.tflite t1: size 5.4 MB is not < 5 MB\n"))
        #expect(text.contains("- efficientnet_lite0.tflite t1: fixed batch 1: input 'images' has shape [1, 224, 224, 3]"))
        #expect(lines.allSatisfy { !$0.hasPrefix("|") || $0.filter { $0 == "|" }.count == 14 })
    }

    @Test func noBudgetNoVerdictColumn() throws {
        let text = try render(BenchReport(ledgeVersion: "0", budget: nil, variants: [Samples.onnx]), format: .table)
        #expect(!text.contains("budget"))
        #expect(text.contains("/s @32"))
        #expect(text.contains("  mobilenet_gen.onnx t2: batch 1 141/s, batch 8 310/s, batch 32 402/s, 2 instances × batch 1 250/s"))
    }
}
