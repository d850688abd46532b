import Foundation
import LedgeCore
import LedgeEngine
import LedgeTesting
import Logging
import Testing

/// Scaled JPEG decode (the default: the 1/2, 1/4 or 1/8 DCT scale that still
/// covers the input, Pillow's `draft` rule) against `--exact-decode` (full size),
/// on every fixture photo with every fixture model that classifies photos.
@Suite(.ownThread) struct ScaledDecodeTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The fixture models with one image input. Only the ones with labels classify
    /// photos: mobilenet_gen.onnx has seeded random weights and no labels (its scores
    /// are nearly flat, top-1 under 0.2, and its top-1 differs between the JPEG and
    /// the PNG of the same photo in 12 of 12 pairs even with exact decode, so scaled
    /// vs exact agreement says nothing about it), and
    /// ch_ppocr_mobile_v2.0_cls_infer.onnx tells text orientation, not photos.
    static let imageModels = ["efficientnet_lite0.tflite", "mobilenet_gen.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"]

    /// The fixture JPEGs large enough for a 224×224 input that scaling applies
    /// (both sides at least 448): 512×512 at 1/2, 640×480 at 1/2, 4000×3000 at 1/8.
    /// Every other photo (451×300, 600×400, 640×427, 224×224 JPEGs, and PNGs) decodes
    /// the same both ways.
    static let scaledPhotos: Set<String> = [
        "astronaut.jpg", "astronaut_640x480.jpg", "astronaut_4000x3000.jpg", "chelsea_640x480.jpg",
        "chelsea_4000x3000.jpg", "coffee_640x480.jpg", "coffee_4000x3000.jpg", "rocket_640x480.jpg",
        "rocket_4000x3000.jpg",
    ]

    /// Every photo fixture: the .jpg and .png files but the broken ones the decoder tests use.
    static func photos() throws -> [String] {
        let broken: Set<String> = ["empty.jpg", "huge_header.jpg", "text.jpg", "truncated.jpg", "truncated.png"]
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.image(""))
        return names.filter { ($0.hasSuffix(".jpg") || $0.hasSuffix(".png")) && !broken.contains($0) }.sorted()
    }

    static func classifier(_ model: String, exact: Bool) throws -> ImageClassifier {
        let session = try ModelLoader.open(path: Fixtures.model(model), logger: logger)
        return try ImageClassifier(session: session, options: ClassifierOptions(exactDecode: exact))
    }

    @Test func onlyEfficientNetClassifiesPhotos() throws {
        var labelled: [String] = []
        for model in Self.imageModels {
            let session = try ModelLoader.open(path: Fixtures.model(model), logger: Self.logger)
            // The text model's input has dynamic height and width; it was trained at 48×192.
            let pipeline =
                (try? ImagePipeline(info: session.info))
                ?? (try? ImagePipeline(info: session.info, options: ClassifierOptions(inputSize: ImageSize(width: 192, height: 48))))
            #expect(pipeline != nil, "\(model) takes one image")
            if pipeline?.labels != nil { labelled.append(model) }
        }
        #expect(labelled == ["efficientnet_lite0.tflite"])
    }

    @Test func scaledDecodeKeepsTopOneOnEveryPhoto() throws {
        let scaled = try Self.classifier("efficientnet_lite0.tflite", exact: false)
        let exact = try Self.classifier("efficientnet_lite0.tflite", exact: true)
        let photos = try Self.photos()
        var differing: Set<String> = []
        for photo in photos {
            let a = try scaled.classify(path: Fixtures.image(photo), topK: 1000)
            let b = try exact.classify(path: Fixtures.image(photo), topK: 1000)
            if a.imageSize != b.imageSize { differing.insert(photo) }
            let top = try #require(b.top.first)
            #expect(a.top.first?.index == top.index, "\(photo): scaled \(a.top.prefix(3)) vs exact \(b.top.prefix(3))")
            // The exact top-1 class's score, both ways (measured: at most 5/256, the model's output step).
            let other = try #require(a.top.first { $0.index == top.index })
            #expect(abs(other.score - top.score) <= 0.03, "\(photo): \(other.score) vs \(top.score)")
        }
        #expect(differing == Self.scaledPhotos)
    }
}
