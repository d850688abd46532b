import Foundation
import LedgeTesting
import Testing

/// `ledge bench` end to end: the real binary and runtimes, small run counts.
@Suite(.ownThread) struct BenchCLITests {
    static let quick = ["--runs", "5", "--warmup", "1", "--batch", "1,2", "--threads", "1"]

    struct Report: Decodable {
        struct Variant: Decodable {
            struct Latency: Decodable { var count: Int; var min, p50, p90, p99, max, mean, std: Double }
            struct Point: Decodable { var batch: Int; var instances: Int; var samples_per_s: Double }
            struct Verdict: Decodable { var passed: Bool; var failures: [String] }
            var model, format, runtime, provider: String
            var threads, size_bytes, rss_peak_bytes: Int
            var load_ms, first_ms: Double
            var latency_ms: Latency
            var throughput: [Point]
            var batch_note: String?
            var budget: Verdict?
        }
        var variants: [Variant]
    }

    func bench(_ models: [String], _ extra: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        var args = ["bench"]
        for m in models { args += ["-m", Fixtures.model(m)] }
        let r = try ProcessRunner.ledge(args + extra)
        return (r.status, r.stdout, r.stderr)
    }

    func json(_ models: [String], _ extra: [String]) throws -> (status: Int32, report: Report) {
        let r = try bench(models, Self.quick + ["--format", "json"] + extra)
        return (r.status, try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8)))
    }

    /// A provider this ONNX Runtime lacks falls back to CPU, and the row says so: two rows that ran
    /// on the same CPU must not read like CPU against CUDA.
    @Test func aProviderThatFellBackIsNamedInItsRow() throws {
        let r = try bench(["add.onnx"], Self.quick + ["--provider", "cpu,CUDAExecutionProvider", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let variants = try #require(object["variants"] as? [[String: Any]])
        #expect(variants.map { $0["provider"] as? String } == ["cpu", "cpu"])
        #expect(variants[0]["provider_requested"] is NSNull)
        #expect(variants[1]["provider_requested"] as? String == "cuda")
        let table = try bench(["add.onnx"], Self.quick + ["--provider", "cpu,cuda"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("\nadd.onnx t1 cpu (no cuda) "), "\(table.stdout)")
    }

    @Test func jsonHasTheSchemaKeysAndOrderedPercentiles() throws {
        let r = try bench(["mobilenet_gen.onnx"], Self.quick + ["--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let variant = try #require((object["variants"] as? [[String: Any]])?.first)
        for key in [
            "model", "format", "runtime", "threads", "provider", "size_bytes", "load_ms", "first_ms",
            "latency_ms", "throughput", "rss_peak_bytes",
        ] {
            #expect(variant[key] != nil, "missing key \(key)")
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        let l = report.variants[0].latency_ms
        #expect(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max)
        #expect(l.count == 5)
        #expect(report.variants[0].throughput.map(\.batch) == [1, 2])
    }

    @Test func fixedBatchModelGetsANoteInsteadOfBatchRows() throws {
        let (status, report) = try json(["efficientnet_lite0.tflite"], [])
        #expect(status == 0)
        let v = try #require(report.variants.first)
        #expect(v.batch_note == "fixed batch 1: input 'images' has shape [1, 224, 224, 3]")
        #expect(v.throughput.allSatisfy { $0.batch == 1 })
    }

    @Test func threadsSweepGivesOneRowEach() throws {
        let r = try bench(["add.onnx"], ["--runs", "5", "--warmup", "1", "--batch", "1,2", "--threads", "1,2", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        #expect(report.variants.map(\.threads) == [1, 2])
    }

    @Test func tinySizeBudgetFailsWithTheReason() throws {
        // add.onnx is smaller than 1 KB; efficientnet_lite0 is not.
        let r = try bench(["efficientnet_lite0.tflite"], Self.quick + ["--budget", "size<1KB"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("size"), "\(r.stdout)")
        let (status, report) = try json(["efficientnet_lite0.tflite"], ["--budget", "size<1KB"])
        #expect(status == 1)
        let verdict = try #require(report.variants.first?.budget)
        #expect(!verdict.passed)
        #expect(verdict.failures.count == 1 && verdict.failures[0].contains("size"))
    }

    @Test func edgeBudgetAgreesWithTheMeasuredLatencyAndSize() throws {
        let (status, report) = try json(["efficientnet_lite0.tflite"], ["--budget", "edge"])
        let v = try #require(report.variants.first)
        let verdict = try #require(v.budget)
        let p50Fails = verdict.failures.contains { $0.hasPrefix("p50") }
        #expect(p50Fails == !(v.latency_ms.p50 < 15))
        // 5,434,493 bytes: over 5 MB whether MB is 10^6 or 2^20 bytes.
        #expect(verdict.failures.contains { $0.hasPrefix("size") })
        #expect(!verdict.passed && status == 1)
    }

    @Test func outputFileEqualsStdout() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try bench(["add.onnx"], Self.quick + ["--format", "json", "--output", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == r.stdout)
    }

    @Test func errorsHaveTheirExitCodes() throws {
        let missing = try ProcessRunner.ledge(["bench", "-m", "/nonexistent/model.onnx", "--runs", "1"])
        #expect(missing.status == 3, "\(missing.stderr)")
        let zero = try bench(["add.onnx"], ["--runs", "0"])
        #expect(zero.status == 2)
        #expect(zero.stderr.contains("--runs must be at least 1, got 0"), "\(zero.stderr)")
        let ppocr = try bench(["ch_ppocr_mobile_v2.0_cls_infer.onnx"], ["--runs", "1"])
        #expect(ppocr.status == 2)
        #expect(ppocr.stderr.contains("error: model input 'x' has dynamic height/width [-1, 3, -1, -1]; pass --input-size HxW"), "\(ppocr.stderr)")
        let batch = try bench(["add.onnx"], ["--batch", "1,x"])
        #expect(batch.status == 2)
        #expect(
            batch.stderr.contains("The value '1,x' is invalid for '--batch <list>': expected comma-separated integers from 1 to 65536 (e.g. 1,2)\n"))
    }

    @Test func malformedBudgetIsAUsageErrorBeforeMeasuring() throws {
        let r = try bench(["add.onnx"], Self.quick + ["--budget", "p50<<15ms"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
    }

    @Test func instancesAddParallelRowsAtTheSmallestAndLargestBatch() throws {
        let (status, report) = try json(["add.onnx"], ["--instances", "2"])
        #expect(status == 0)
        let rows = try #require(report.variants.first).throughput
        #expect(rows.map(\.batch) == [1, 2, 1, 2])
        #expect(rows.map(\.instances) == [1, 1, 2, 2])
        #expect(rows.allSatisfy { $0.samples_per_s > 0 })
    }

    @Test func plotIsWrittenAsSVG() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID()).svg").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try bench(["add.onnx"], Self.quick + ["--plot", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("<svg"))
        let bad = try bench(["add.onnx"], Self.quick + ["--plot", "/nonexistent-dir/p.svg"])
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("error: --plot /nonexistent-dir/p.svg: directory not found: /nonexistent-dir"), "\(bad.stderr)")
    }
}
