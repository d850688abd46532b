import Foundation
import LedgeCore
import LedgeEngine
import LedgeTesting
import Logging
import Testing

/// The library path of `classify`: ModelLoader + ImageClassifier against the Python reference.
@Suite(.ownThread) struct ImageClassifierTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static let effnet: ImageClassifier? = {
        guard let session = try? ModelLoader.open(path: Fixtures.model("efficientnet_lite0.tflite"), logger: logger) else { return nil }
        return try? ImageClassifier(session: session)
    }()

    @Test(arguments: [
        "chelsea.jpg", "chelsea.png", "coffee.jpg", "coffee.png", "chelsea_exif6.jpg", "chelsea_progressive.jpg",
        "chelsea_cmyk.jpg", "chelsea_gray.png", "chelsea_rgba.png", "chelsea_palette.png", "chelsea_16bit.png",
        "chelsea_interlaced.png", "chelsea_640x480.jpg", "chelsea_4000x3000.jpg", "coffee_4000x3000.jpg",
        "astronaut.jpg", "rocket.png",
    ])
    func topScoresMatchThePythonRuntime(image: String) throws {
        let classifier = try #require(Self.effnet)
        let reference = try #require(try Fixtures.classifyReference(model: "efficientnet_lite0.tflite")[image])
        let result = try classifier.classify(path: Fixtures.image(image), topK: 5)
        #expect(result.top.first?.index == reference.first?.index, "\(image): \(result.top) vs \(reference)")
        for ref in reference.prefix(3) where ref.score >= 0.05 {
            let mine = try #require(result.top.first { $0.index == ref.index }, "\(image): class \(ref.index) not in top 5")
            #expect(abs(mine.score - ref.score) <= 0.03, "\(image) class \(ref.index): \(mine.score) vs \(ref.score)")
        }
    }

    @Test func embeddedLabelsAndTimings() throws {
        let classifier = try #require(Self.effnet)
        #expect(classifier.classCount == 1000)
        #expect(classifier.label(for: 285) == "Egyptian cat")
        #expect(classifier.label(for: 967) == "espresso")
        let result = try classifier.classify(path: Fixtures.image("coffee.jpg"), topK: 3, runs: 4)
        #expect(result.top.map(\.label).first == "espresso")
        #expect(result.inferenceMilliseconds.count == 4)
        #expect(result.imageSize == ImageSize(width: 600, height: 400))
    }

    @Test func unreadableImagePathsAreNamed() throws {
        let classifier = try #require(Self.effnet)
        #expect(throws: LedgeError.invalidInput("image file not found: /nonexistent/cat.jpg")) {
            try classifier.classify(path: "/nonexistent/cat.jpg", topK: 1)
        }
        let dir = NSTemporaryDirectory()
        #expect(throws: LedgeError.invalidInput("image path is a directory, expected a JPEG or PNG file: \(dir)")) {
            try classifier.classify(path: dir, topK: 1)
        }
    }

    @Test func labelsFileOverridesEmbeddedLabels() throws {
        let path = NSTemporaryDirectory() + "ledge-labels-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (0..<1000).map { "class-\($0)" }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let session = try ModelLoader.open(path: Fixtures.model("efficientnet_lite0.tflite"), logger: Self.logger)
        let classifier = try ImageClassifier(session: session, options: ClassifierOptions(labelsPath: path))
        let result = try classifier.classify(path: Fixtures.image("chelsea.jpg"), topK: 1)
        #expect(result.top.first?.label == "class-285")
    }

    @Test func dynamicInputNeedsASize() throws {
        let session = try ModelLoader.open(path: Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"), logger: Self.logger)
        #expect(throws: LedgeError.self) { try ImageClassifier(session: session) }
        let classifier = try ImageClassifier(session: session, options: ClassifierOptions(inputSize: ImageSize(width: 192, height: 48)))
        let result = try classifier.classify(path: Fixtures.image("chelsea.jpg"), topK: 5)
        #expect(result.top.count == 2)
    }
}
