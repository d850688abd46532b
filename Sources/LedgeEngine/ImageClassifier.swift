#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore
public import LedgeVision

/// How images are turned into the model's input and scores into labels.
public struct ClassifierOptions: Sendable {
    /// A labels file (one per line); else the model's embedded labels; else class indices.
    public var labelsPath: String?
    /// Per-channel mean and std for float inputs, on the [0, 1] scale (overrides none of the model's metadata).
    public var mean: [Float]?
    public var std: [Float]?
    /// Input height and width, for models whose input has dynamic spatial dimensions.
    public var inputSize: ImageSize?
    /// Decode JPEGs at full size instead of at the DCT scale that covers the input (`--exact-decode`).
    public var exactDecode: Bool

    public init(
        labelsPath: String? = nil, mean: [Float]? = nil, std: [Float]? = nil, inputSize: ImageSize? = nil, exactDecode: Bool = false
    ) {
        self.labelsPath = labelsPath
        self.mean = mean
        self.std = std
        self.inputSize = inputSize
        self.exactDecode = exactDecode
    }
}

/// One scored class.
public struct ScoredLabel: Sendable, Hashable, Codable {
    public var index: Int
    public var label: String
    public var score: Float
}

/// The result of classifying one image: top classes and where the time went.
public struct ClassificationResult: Sendable {
    public var image: String
    /// The decoded image's size (after EXIF orientation), before resizing.
    public var imageSize: ImageSize
    public var top: [ScoredLabel]
    public var decodeMilliseconds: Double
    public var preprocessMilliseconds: Double
    /// One entry per run; the first includes warm-up.
    public var inferenceMilliseconds: [Double]
    public var postprocessMilliseconds: Double
}

/// decode → preprocess → run → dequantize → top-k, for one image classification
/// model: an ``ImagePipeline`` around one session.
public final class ImageClassifier: Sendable {
    public let session: any InferenceSession
    /// The session-free stages, shareable by every instance of the model.
    public let pipeline: ImagePipeline

    public var labels: [String]? { pipeline.labels }
    public var preprocessor: ImagePreprocessor { pipeline.preprocessor }
    /// The number of classes the model scores.
    public var classCount: Int { pipeline.classCount }

    /// Checks that the model takes one image and returns class scores, and loads labels.
    public init(session: any InferenceSession, options: ClassifierOptions = ClassifierOptions()) throws {
        self.session = session
        self.pipeline = try ImagePipeline(info: session.info, options: options)
    }

    /// The label of a class index: from the labels, else the index itself.
    public func label(for index: Int) -> String { pipeline.label(for: index) }

    /// Classifies an image file.
    public func classify(path: String, topK: Int, runs: Int = 1, threshold: Float = -.infinity) throws -> ClassificationResult {
        try classify(data: try ImageDecoder.readFile(path), name: path, topK: topK, runs: runs, threshold: threshold)
    }

    /// Classifies encoded image bytes (JPEG or PNG); `name` appears in errors and the result.
    public func classify(data: Data, name: String, topK: Int, runs: Int = 1, threshold: Float = -.infinity) throws -> ClassificationResult {
        let prepared = try pipeline.prepare(data: data, name: name)
        let clock = ContinuousClock()
        var times: [Double] = []
        var outputs: [Tensor] = []
        for _ in 0..<max(runs, 1) {
            let start = clock.now
            outputs = try session.run([prepared.tensor])
            times.append((clock.now - start).milliseconds)
        }
        return pipeline.result(prepared, outputs: outputs, inferenceMilliseconds: times, topK: topK, threshold: threshold)
    }
}

extension Duration {
    /// The duration in milliseconds, as a `Double`.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
