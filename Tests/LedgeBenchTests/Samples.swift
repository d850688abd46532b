@testable import LedgeBench

/// Synthetic bench results for the budget, report and plot tests.
enum Samples {
    static func variant(
        model: String = "models/efficientnet_lite0.tflite", format: String = "tflite", runtime: String = "litert",
        version: String = "1.4.0", threads: Int = 1, provider: String = "cpu", size: Int = 5_422_160,
        load: Double = 41.5, first: Double = 30.25, p50: Double = 14.2, throughput: [ThroughputPoint] = [],
        batchNote: String? = "fixed batch 1: input 'images' has shape [1, 224, 224, 3]",
        rss: Int = 88_000_000, samples: [Double] = []
    ) -> VariantResult {
        let latency = LatencySummary(
            count: 50, min: p50 - 1, p50: p50, p90: p50 + 1, p99: p50 + 3, max: p50 + 5,
            mean: p50 + 0.5, std: 1.25)
        return VariantResult(
            model: model, format: format, runtime: runtime, runtimeVersion: version, threads: threads,
            provider: provider, sizeBytes: size, loadMs: load, firstMs: first, warmupMeanMs: p50 + 1,
            latency: latency, throughput: throughput, batchNote: batchNote, rssPeakBytes: rss,
            rssGrowthBytes: 12_000_000, samples: samples)
    }

    static let onnx = variant(
        model: "models/mobilenet_gen.onnx", format: "onnx", runtime: "onnxruntime", version: "1.31.1", threads: 2,
        size: 17_000_000, load: 120, first: 25, p50: 7.1,
        throughput: [
            ThroughputPoint(batch: 1, samplesPerSecond: 140.8), ThroughputPoint(batch: 8, samplesPerSecond: 310.25),
            ThroughputPoint(batch: 32, samplesPerSecond: 402.5),
            ThroughputPoint(batch: 1, instances: 2, samplesPerSecond: 250),
        ],
        batchNote: nil, rss: 150_000_000)
}
