#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine

/// `--end-to-end`: decode + preprocess + invoke + top-k per photo, through the
/// same ``ImageClassifier`` that `ledge classify` uses.
///
/// The photos' bytes are read once; each iteration classifies the next photo
/// in turn (as many iterations as steady-state runs, at most 200, each photo at least once). Every step is reported as its median; `total_ms` is the median of
/// the whole call, so it need not equal the sum of the step medians.
enum EndToEnd {
    static func measure(
        session: any InferenceSession, options: BenchOptions, iterations: Int, label: String,
        progress: (any ProgressSink)?, memory: MemoryMonitor
    ) throws -> EndToEndSummary? {
        guard let directory = options.imagesDirectory else { return nil }
        let files = try InputSource.imageFiles(in: directory)
        let photos = try files.map { (data: try Data(contentsOf: URL(fileURLWithPath: $0)), name: $0) }
        let classifier = try ImageClassifier(
            session: session, options: ClassifierOptions(inputSize: options.inputSize, exactDecode: options.exactDecode))
        // As many iterations as steady-state runs (at most 200, so large photos stay quick), each photo at least once.
        let count = max(min(iterations, 200), photos.count)
        var decode: [Double] = [], preprocess: [Double] = [], invoke: [Double] = [], post: [Double] = [], total: [Double] = []
        for i in 0..<count {
            let photo = photos[i % photos.count]
            options.pauseBeforeRun()
            let start = ContinuousClock.now
            let result = try classifier.classify(data: photo.data, name: photo.name, topK: options.topK, runs: 1)
            total.append((ContinuousClock.now - start).milliseconds)
            decode.append(result.decodeMilliseconds)
            preprocess.append(result.preprocessMilliseconds)
            invoke.append(result.inferenceMilliseconds.first ?? 0)
            post.append(result.postprocessMilliseconds)
            progress?.update(phase: "\(label): end-to-end", done: i + 1, total: count)
            memory.sample()
        }
        func p50(_ values: [Double]) -> Double { LatencyStatistics.summarize(values).p50 }
        return EndToEndSummary(
            images: photos.count, decodeMs: p50(decode), preprocessMs: p50(preprocess), invokeMs: p50(invoke),
            postprocessMs: p50(post), totalMs: p50(total), imagesPerSecond: Double(total.count) * 1000 / max(total.reduce(0, +), 1e-9))
    }
}
