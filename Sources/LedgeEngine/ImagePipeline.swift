#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore
public import LedgeVision

/// An image decoded and preprocessed into a model's input tensor, and what that took.
public struct PreparedImage: Sendable {
    /// The name given with the bytes (a path, or a request part's name).
    public var name: String
    /// The decoded image's size (after EXIF orientation), before resizing.
    public var imageSize: ImageSize
    /// The input tensor, batch 1.
    public var tensor: Tensor
    public var decodeMilliseconds: Double
    public var preprocessMilliseconds: Double
}

/// The per-model half of image classification: decode → preprocess before a
/// session run, dequantize → top-k after it. It holds no session, so a server
/// prepares images on the request's task and borrows an instance only for the run.
public struct ImagePipeline: Sendable {
    public let preprocessor: ImagePreprocessor
    public let labels: [String]?
    /// The number of classes the model scores.
    public let classCount: Int
    private let output: TensorSpec

    /// Checks that the model described by `info` takes one image and returns
    /// class scores, and loads labels (``ClassifierOptions/labelsPath``, else the model's own).
    public init(info: ModelInfo, options: ClassifierOptions = ClassifierOptions()) throws {
        guard info.inputs.count == 1, let input = info.inputs.first else {
            throw LedgeError.invalidInput(
                "\(info.path): model has \(info.inputs.count) inputs (\(info.inputs.map(\.name).joined(separator: ", "))), expected one image input")
        }
        self.preprocessor = try ImagePreprocessor(
            spec: input, normalization: info.metadata.normalization,
            mean: options.mean, std: options.std, inputSize: options.inputSize, exactDecode: options.exactDecode,
            recipe: info.metadata.recipe)
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

    /// Decodes encoded image bytes (JPEG or PNG) and preprocesses them into the
    /// input tensor; `name` appears in errors and the result.
    public func prepare(data: Data, name: String) throws -> PreparedImage {
        let clock = ContinuousClock()
        let t0 = clock.now
        let image = try preprocessor.decode(data, name: name)
        let t1 = clock.now
        let tensor = try preprocessor.pack([preprocessor.resize(image)])
        let t2 = clock.now
        return PreparedImage(
            name: name, imageSize: ImageSize(width: image.width, height: image.height), tensor: tensor,
            decodeMilliseconds: (t1 - t0).milliseconds, preprocessMilliseconds: (t2 - t1).milliseconds)
    }

    /// The result of `prepared` from the session's `outputs`: the `topK` classes
    /// scoring at least `threshold`, with `inferenceMilliseconds` (one per run)
    /// and the time this postprocessing took.
    public func result(
        _ prepared: PreparedImage, outputs: [Tensor], inferenceMilliseconds: [Double], topK: Int, threshold: Float = -.infinity
    ) -> ClassificationResult {
        let clock = ContinuousClock()
        let start = clock.now
        let scores = outputs.first?.floatValues(dequantizing: output.quantization) ?? []
        let top = LedgeVision.topK(Array(scores.prefix(classCount)), k: topK)
            .filter { $0.score >= threshold }
            .map { ScoredLabel(index: $0.index, label: label(for: $0.index), score: $0.score) }
        return ClassificationResult(
            image: prepared.name, imageSize: prepared.imageSize, top: top,
            decodeMilliseconds: prepared.decodeMilliseconds, preprocessMilliseconds: prepared.preprocessMilliseconds,
            inferenceMilliseconds: inferenceMilliseconds, postprocessMilliseconds: (clock.now - start).milliseconds)
    }
}
