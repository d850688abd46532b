internal import ArgumentParser
internal import LedgeCore
internal import LedgeEngine
internal import Logging

/// `ledge classify -m MODEL -i IMAGE…`: top-k labels and per-run inference times,
/// the experience of Coral's `classify_image.py`, for TFLite and ONNX models.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify images: top-k labels with per-run inference times (the first run includes warm-up).")

    @Option(
        name: .shortAndLong,
        help:
            "The model file (.tflite or .onnx), a model folder (e.g. a downloaded Hugging Face repository), or its URI: https://, s3://, gs://, hf:// (fetched into the model cache)."
    )
    var model: String

    @Option(
        name: [.customShort("i"), .customLong("input"), .customLong("image")],
        help: "An image (JPEG or PNG); repeat for several. --image is the same option (the Raspberry Pi tutorial's spelling).")
    var images: [String] = []

    @Option(
        name: [.customShort("l"), .customLong("labels"), .customLong("label")],
        help: "Labels file, one per line (default: the model's embedded labels, else class indices). --label is the same option.")
    var labels: String?

    @Option(name: [.customShort("k"), .customLong("top-k")], help: "How many classes to show.")
    var topK = 3

    @Option(name: [.customShort("c"), .customLong("count")], help: "How many times to run inference on each image.")
    var count = 5

    @Option(
        name: [.customShort("t"), .customLong("threshold")],
        help: "Hide classes scoring below this (default: none, so a model's negative logits show too).")
    var threshold: Float?

    @OptionGroup var preprocess: PreprocessOptions

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var decode: DecodeOptions

    @OptionGroup var runtime: RuntimeOptions

    @OptionGroup var graphs: GraphCacheOptions

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image with -i IMAGE") }
        if topK < 1 { throw ValidationError("-k/--top-k must be at least 1, got \(topK)") }
        if count < 1 { throw ValidationError("-c/--count must be at least 1, got \(count)") }
        if let threshold, !threshold.isFinite { throw ValidationError("-t/--threshold must be a finite score, got \(threshold)") }
    }

    func run() throws {
        let logger = ConsoleLogHandler.logger(verbose: runtime.verbose)
        let options = try preprocess.classifierOptions(labels: labels, exactDecode: decode.exactDecode)
        let model = try ModelURIOptions.localModel(self.model, logger: logger)
        CrashGuard.watch(model)
        var engine = runtime.engineOptions
        engine.onnxGraphCache = graphs.graphCache
        engine.xnnpackCache = graphs.weightCache
        let session = try ModelLoader.open(path: model, options: engine, logger: logger)
        let classifier = try ImageClassifier(session: session, options: options)
        // A labels file of another model (or cut short) names the wrong classes, or none past its end: say so.
        if let path = options.labelsPath, let given = classifier.labels?.count,
            given != classifier.pipeline.classCount && given != classifier.pipeline.classCount + 1
        {
            logger.warning(
                "\(path) has \(given) labels for the model's \(classifier.pipeline.classCount) classes: labels may not be this model's; classes past them are shown by index"
            )
        }
        var results: [ClassificationResult] = []
        for image in images {
            let result = try classifier.classify(path: image, topK: topK, runs: count, threshold: threshold ?? -.infinity)
            if json { results.append(result) } else { print(ClassifyText.render(result, many: images.count > 1)) }
        }
        if json { print(try ClassifyText.json(model: model, results: results)) }
    }
}
