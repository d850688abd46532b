import Foundation
import LedgeBench
import LedgeCore
import LedgeEngine
import LedgeTesting
import Logging
import Testing

/// The bench runner against the real runtimes, with small run counts.
@Suite struct BenchRunnerTests {
    let logger = Logger(label: "test")

    func runner(_ options: BenchOptions) -> BenchRunner {
        BenchRunner(options: options, logger: logger)
    }

    func expectOrdered(_ l: LatencySummary) {
        #expect(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, "\(l)")
        #expect(l.min > 0)
    }

    @Test func dynamicBatchModelGetsARowPerBatch() throws {
        let r = try runner(BenchOptions(warmup: 1, runs: 5, batches: [1, 2]))
            .run(model: Fixtures.model("mobilenet_gen.onnx"), threads: 1, provider: nil)
        #expect(r.latency_ms.count == 5)
        #expect(r.samples.count == 5)
        expectOrdered(r.latency_ms)
        #expect(r.throughput.map(\.batch) == [1, 2])
        #expect(r.throughput.allSatisfy { $0.samples_per_s > 0 && $0.instances == 1 })
        #expect(r.batch_note == nil)
        #expect(r.format == "onnx" && r.runtime == "onnxruntime" && r.provider == "cpu" && r.threads == 1)
        let size = try FileManager.default.attributesOfItem(atPath: Fixtures.model("mobilenet_gen.onnx"))[.size] as? Int
        #expect(r.size_bytes == size)
        #expect(r.load_ms > 0 && r.first_ms > 0 && r.warmup_mean_ms > 0)
        #expect(r.rss_peak_bytes > 0)
    }

    @Test func fixedBatchModelSaysSoAndHasNoBiggerBatches() throws {
        let r = try runner(BenchOptions(warmup: 0, runs: 3, batches: [1, 8], instances: 2))
            .run(model: Fixtures.model("efficientnet_lite0.tflite"), threads: 1, provider: "cpu")
        #expect(r.batch_note == "fixed batch 1: input 'images' has shape [1, 224, 224, 3]")
        #expect(r.throughput.allSatisfy { $0.batch == 1 && $0.samples_per_s > 0 })
        #expect(r.throughput.map(\.instances) == [1, 2])
        #expect(r.warmup_mean_ms == 0)
        #expect(r.latency_ms.count == 3)
        expectOrdered(r.latency_ms)
        #expect(r.runtime == "litert" && r.provider == "cpu")
    }

    @Test func dynamicHeightWidthNeedsAnInputSize() throws {
        let path = Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")
        #expect(throws: LedgeError.usage("model input 'x' has dynamic height/width [-1, 3, -1, -1]; pass --input-size HxW")) {
            try runner(BenchOptions(warmup: 0, runs: 1, batches: [1])).run(model: path, threads: 1, provider: nil)
        }
        let r = try runner(BenchOptions(warmup: 0, runs: 2, batches: [1, 2], inputSize: ImageSize(width: 192, height: 48)))
            .run(model: path, threads: 1, provider: nil)
        #expect(r.throughput.map(\.batch) == [1, 2])
    }

    @Test func endToEndSplitsTheTimeOfAPhoto() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-e2e-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["chelsea.jpg", "coffee.png"] {
            try FileManager.default.copyItem(atPath: Fixtures.image(name), toPath: dir + "/" + name)
        }
        let r = try runner(BenchOptions(warmup: 0, runs: 3, imagesDirectory: dir, endToEnd: true))
            .run(model: Fixtures.model("efficientnet_lite0.tflite"), threads: 1, provider: nil)
        let e = try #require(r.end_to_end)
        #expect(e.images == 2)
        #expect(e.preprocess_share > 0 && e.preprocess_share < 1)
        #expect(e.decode_ms > 0 && e.invoke_ms > 0)
        // 3 iterations: at least 2 take the median or longer, so the mean is at least 2/3 of it.
        #expect(e.images_per_s > 0 && e.images_per_s <= 1000 / (e.total_ms * 2 / 3))
    }

    @Test func badOptionsAreUsageErrors() throws {
        #expect(throws: LedgeError.usage("--runs must be at least 1, got 0")) { try BenchOptions(runs: 0).validate() }
        #expect(throws: LedgeError.usage("--batch sizes must be at least 1, got 0")) { try BenchOptions(batches: [0]).validate() }
        #expect(throws: LedgeError.usage("--end-to-end needs --images DIR")) { try BenchOptions(endToEnd: true).validate() }
        #expect(throws: LedgeError.usage("--run-delay must be from 0 to 60 seconds, got -0.5")) { try BenchOptions(runDelay: -0.5).validate() }
        #expect(throws: LedgeError.usage("--run-delay must be from 0 to 60 seconds, got inf")) { try BenchOptions(runDelay: .infinity).validate() }
        #expect(throws: LedgeError.usage("--run-delay must be from 0 to 60 seconds, got 1000000000.0")) { try BenchOptions(runDelay: 1e9).validate() }
        #expect(throws: LedgeError.usage("--instances must be from 1 to 256, got 10000")) { try BenchOptions(instances: 10000).validate() }
        #expect(throws: LedgeError.invalidInput("--images: directory not found: /nonexistent-dir")) {
            try runner(BenchOptions(runs: 1, imagesDirectory: "/nonexistent-dir"))
                .run(model: Fixtures.model("efficientnet_lite0.tflite"), threads: 1, provider: nil)
        }
    }

    /// `--run-delay` sleeps before each warm-up, steady and end-to-end run, outside the timings:
    /// 2 warm-up, 3 steady and 3 end-to-end runs of efficientnet_lite0 take at least 8 delays, while
    /// no timed run (nor a whole end-to-end image) takes one.
    @Test func runDelayIsSleptBetweenRunsAndNotTimed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-delay-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Fixtures.image("chelsea.jpg"), toPath: dir + "/chelsea.jpg")
        let clock = ContinuousClock()
        let start = clock.now
        let result = try runner(BenchOptions(warmup: 2, runs: 3, batches: [1], imagesDirectory: dir, endToEnd: true, runDelay: 0.25))
            .run(model: Fixtures.model("efficientnet_lite0.tflite"), threads: 1, provider: nil)
        #expect(clock.now - start >= .seconds(2))
        #expect(result.latency_ms.count == 3)
        #expect(result.latency_ms.max < 250, "a timed run took the delay: \(result.latency_ms)")
        let e = try #require(result.end_to_end)
        #expect(e.images_per_s > 4, "the end-to-end rate counted the delays: \(e)")
    }

    @Test func randomInputsAreSeededAndInRange() throws {
        let specs = [TensorSpec(name: "a", dtype: .uint8, shape: [-1, 4]), TensorSpec(name: "b", dtype: .float32, shape: [-1, 8])]
        let one = try InputFactory.random(specs: specs, batch: 3, inputSize: nil, seed: 7)
        let two = try InputFactory.random(specs: specs, batch: 3, inputSize: nil, seed: 7)
        let other = try InputFactory.random(specs: specs, batch: 3, inputSize: nil, seed: 8)
        #expect(one[0].shape == [3, 4] && one[1].shape == [3, 8])
        #expect(one[1].values(as: Float.self) == two[1].values(as: Float.self))
        #expect(one[1].values(as: Float.self) != other[1].values(as: Float.self))
        #expect(one[1].values(as: Float.self).allSatisfy { $0 >= -1 && $0 < 1 })
    }

    @Test func atomicWriteReplacesTheFileWhole() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-out-\(UUID()).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AtomicFile.write("first\n", to: path, option: "--output")
        try AtomicFile.write("second\n", to: path, option: "--output")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        #expect(throws: LedgeError.invalidInput("--output /nonexistent-dir/x.json: directory not found: /nonexistent-dir")) {
            try AtomicFile.write("x", to: "/nonexistent-dir/x.json", option: "--output")
        }
    }
}
