#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine

/// Output of `ledge classify`: Coral-style text blocks, or JSON.
enum ClassifyText {
    static func render(_ r: ClassificationResult, many: Bool) -> String {
        var lines: [String] = []
        if many { lines.append("==> \(r.image) <==") }
        lines.append("----INFERENCE TIME----")
        lines.append("Note: The first inference is slow because it includes warm-up (memory planning, caches).")
        for (i, ms) in r.inferenceMilliseconds.enumerated() {
            lines.append(cFormat("%.2fms", ms) + (i == 0 ? " (first, includes warm-up)" : ""))
        }
        lines.append("-------RESULTS--------")
        for t in r.top { lines.append("\(t.label): " + cFormat("%.5f", t.score)) }
        return lines.joined(separator: "\n")
    }

    /// One image's result; times in whole microseconds, as the server's classify response gives them.
    struct JSONResult: Encodable {
        var image: String
        var width: Int
        var height: Int
        /// One entry per run; the first includes warm-up.
        var times_us: [Int]
        var timing_us: ClassificationTiming
        var top: [ScoredLabel]
    }

    struct JSONOutput: Encodable {
        var model: String
        var results: [JSONResult]
    }

    static func json(model: String, results: [ClassificationResult]) throws -> String {
        let out = JSONOutput(
            model: model,
            results: results.map {
                JSONResult(
                    image: $0.image, width: $0.imageSize.width, height: $0.imageSize.height,
                    times_us: $0.inferenceMilliseconds.map(ClassificationTiming.microseconds),
                    timing_us: ClassificationTiming($0), top: $0.top)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(out), as: UTF8.self)
    }
}
