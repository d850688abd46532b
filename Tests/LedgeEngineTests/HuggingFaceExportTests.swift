import Foundation
import LedgeCore
import LedgeEngine
import LedgeTesting
import LedgeVision
import Logging
import Testing

/// Models exported the Hugging Face way (`scripts/make_hf_exports.py`): the image recipe of the
/// `preprocessor_config.json` and the labels of the `config.json` beside them, against
/// `transformers`' own image processors (`scripts/hf_pixel_values.py`) and ONNX Runtime's
/// logits on their tensors (`scripts/hf_reference_logits.py`).
@Suite(.ownThread) struct HuggingFaceExportTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let exports = ["vit": "vit/model.onnx", "convnext": "convnext/onnx/model.onnx", "repo/mobilenet": "repo/mobilenet/1/model.onnx"]
    static let images = ["chelsea.jpg", "coffee.jpg", "rocket.jpg", "astronaut.jpg", "chelsea_exif6.jpg", "chelsea.png", "coffee_4000x3000.jpg"]

    static func path(_ export: String) -> String { Fixtures.huggingFace(exports[export]!) }

    /// transformers' `pixel_values` of `image` for `export`.
    static func pixelValues(_ export: String, _ image: String) throws -> [Float] {
        let file = Fixtures.huggingFace("reference/\(export.replacing("/", with: "_")).\(image).f32")
        let data = try #require(FileManager.default.contents(atPath: file), "\(file) missing; run 'make setup'")
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Decoded at full size (as Pillow decodes), each tensor is transformers' within a JPEG
    /// decoder's rounding: the resize is Pillow's to the bit (ResizeTests), so a difference is
    /// one pixel level, ≤ 1/255/std.
    @Test(arguments: ["vit", "convnext", "repo/mobilenet"])
    func tensorsAreTransformers(_ export: String) throws {
        let session = try ModelLoader.open(path: Self.path(export), logger: Self.logger)
        let pipeline = try ImagePipeline(info: session.info, options: ClassifierOptions(exactDecode: true))
        #expect(pipeline.preprocessor.size == ImageSize(width: 224, height: 224))
        #expect(pipeline.preprocessor.layout == .nchw && pipeline.preprocessor.channels == 3)
        for image in Self.images where image != "coffee_4000x3000.jpg" {
            let data = try ImageDecoder.readFile(Fixtures.image(image))
            let mine = try pipeline.prepare(data: data, name: image).tensor.floatValues()
            let reference = try Self.pixelValues(export, image)
            #expect(mine.count == reference.count)
            let differences = zip(mine, reference).map { abs($0 - $1) }
            let largest = differences.max() ?? .infinity, mean = differences.reduce(0, +) / Float(differences.count)
            let bound: Float = image.hasSuffix(".png") ? 1e-5 : 1 / 255 / 0.224 + 1e-5
            #expect(largest <= bound && mean < 2e-4, "\(export) \(image): max \(largest), mean \(mean)")
        }
    }

    /// What `ledge classify` shows: config.json's labels, and logits equal to ONNX Runtime's on
    /// transformers' tensors — at full size within 0.01, and with the default DCT-scaled decode
    /// the same top class.
    @Test(arguments: ["vit", "convnext", "repo/mobilenet"])
    func scoresAreTheReferenceRuntimes(_ export: String) throws {
        let reference = try #require(try Fixtures.huggingFaceLogits()[export])
        let labels = try ModelSidecar.load(besides: Self.path(export))?.labels
        #expect(labels?.count == 5)
        for exact in [true, false] {
            let session = try ModelLoader.open(path: Self.path(export), logger: Self.logger)
            let classifier = try ImageClassifier(session: session, options: ClassifierOptions(exactDecode: exact))
            for image in Self.images {
                let expected = try #require(reference[image])
                let result = try classifier.classify(path: Fixtures.image(image), topK: 5)
                let best = expected.indices.max { expected[$0] < expected[$1] }!
                #expect(result.top.first?.index == best, "\(export) \(image) exact \(exact): \(result.top) vs \(expected)")
                #expect(result.top.first?.label == labels?[best])
                guard exact, image != "coffee_4000x3000.jpg" else { continue }
                for scored in result.top {
                    #expect(
                        abs(scored.score - expected[scored.index]) <= 0.01, "\(export) \(image) class \(scored.index): \(scored.score) vs \(expected)"
                    )
                }
            }
        }
    }
}
