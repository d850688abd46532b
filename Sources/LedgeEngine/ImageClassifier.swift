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

    public init(labelsPath: String? = nil, mean: [Float]? = nil, std: [Float]? = nil, inputSize: ImageSize? = nil) {
        self.labelsPath = labelsPath
        self.mean = mean
        self.std = std
        self.inputSize = inputSize
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

/// decode → preprocess → run → dequantize → top-k, for one image classification model.
public final class ImageClassifier: Sendable {
    public let session: any InferenceSession
    public let labels: [String]?
    public let preprocessor: ImagePreprocessor
    /// The number of classes the model scores.
    public let classCount: Int
    private let output: TensorSpec

    /// Checks that the model takes one image and returns class scores, and loads labels.
    public init(session: any InferenceSession, options: ClassifierOptions = ClassifierOptions()) throws {
        let info = session.info
        guard info.inputs.count == 1, let input = info.inputs.first else {
            throw LedgeError.invalidInput(
                "\(info.path): model has \(info.inputs.count) inputs (\(info.inputs.map(\.name).joined(separator: ", "))), expected one image input")
        }
        self.session = session
        self.preprocessor = try ImagePreprocessor(
            spec: input, normalization: info.metadata.normalization,
            mean: options.mean, std: options.std, inputSize: options.inputSize)
        guard let output = info.outputs.first else {
            throw LedgeError.invalidModel("\(info.path): model has no outputs")
        }
        let dims = output.shape
        let classes = dims.last ?? -1
        guard dims.count == 2 || dims.count == 1, classes > 0 else {
            throw LedgeError.invalidInput(
                "\(info.path): output '\(output.name)' with shape \(output.shapeDescription) is not a vector of class scores (expected [N, classes])")
        }
        self.output = output
        self.classCount = classes
        if let path = options.labelsPath {
            self.labels = try Labels.load(path: path)
        } else {
            self.labels = info.metadata.labels
        }
    }

    /// The label of a class index: from the labels, else the index itself.
    public func label(for index: Int) -> String {
        if let labels, index < labels.count { return labels[index] }
        return String(index)
    }

    /// Classifies an image file.
    public func classify(path: String, topK: Int, runs: Int = 1, threshold: Float = -.infinity) throws -> ClassificationResult {
        try classify(data: try ImageDecoder.readFile(path), name: path, topK: topK, runs: runs, threshold: threshold)
    }

    /// Classifies encoded image bytes (JPEG or PNG); `name` appears in errors and the result.
    public func classify(data: Data, name: String, topK: Int, runs: Int = 1, threshold: Float = -.infinity) throws -> ClassificationResult {
        let clock = ContinuousClock()
        let t0 = clock.now
        let image = try ImageDecoder.decode(data, name: name, targetSize: (width: preprocessor.size.width, height: preprocessor.size.height))
        let t1 = clock.now
        let tensor = try preprocessor.tensor(for: [image])
        let t2 = clock.now
        var times: [Double] = []
        var outputs: [Tensor] = []
        for _ in 0..<max(runs, 1) {
            let start = clock.now
            outputs = try session.run([tensor])
            times.append((clock.now - start).milliseconds)
        }
        let t3 = clock.now
        let scores = outputs[0].floatValues(dequantizing: output.quantization)
        let top = LedgeVision.topK(Array(scores.prefix(classCount)), k: topK)
            .filter { $0.score >= threshold }
            .map { ScoredLabel(index: $0.index, label: label(for: $0.index), score: $0.score) }
        let t4 = clock.now
        return ClassificationResult(
            image: name, imageSize: ImageSize(width: image.width, height: image.height), top: top,
            decodeMilliseconds: (t1 - t0).milliseconds, preprocessMilliseconds: (t2 - t1).milliseconds,
            inferenceMilliseconds: times, postprocessMilliseconds: (t4 - t3).milliseconds)
    }
}

extension Duration {
    /// The duration in milliseconds, as a `Double`.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
