import Foundation
import LedgeCore
import LedgeTesting
import LedgeVision
import Testing

@Suite struct PreprocessTests {
    /// Two pixels: (0, 128, 255) and (10, 20, 30).
    func tiny() throws -> RGBImage { try RGBImage(width: 2, height: 1, pixels: [0, 128, 255, 10, 20, 30]) }

    func spec(_ dtype: DType, _ shape: [Int], name: String = "images") -> TensorSpec {
        TensorSpec(name: name, dtype: dtype, shape: shape)
    }

    @Test func uint8NHWCTakesRawPixels() throws {
        let p = try ImagePreprocessor(spec: spec(.uint8, [1, 1, 2, 3]))
        #expect(p.layout == .nhwc && p.size == ImageSize(width: 2, height: 1) && p.channels == 3)
        let t = try p.tensor(for: [tiny()])
        #expect(t.dtype == .uint8 && t.shape == [1, 1, 2, 3])
        #expect(t.values(as: UInt8.self) == [0, 128, 255, 10, 20, 30])
    }

    @Test func int8SubtractsOneTwentyEight() throws {
        let t = try ImagePreprocessor(spec: spec(.int8, [1, 1, 2, 3])).tensor(for: [tiny()])
        #expect(t.values(as: Int8.self) == [-128, 0, 127, -118, -108, -98])
    }

    @Test func float32NCHWScalesTo01() throws {
        let p = try ImagePreprocessor(spec: spec(.float32, [1, 3, 1, 2], name: "x"))
        #expect(p.layout == .nchw)
        let t = try p.tensor(for: [tiny()])
        #expect(t.shape == [1, 3, 1, 2])
        let expected: [Float] = [0, 10, 128, 20, 255, 30].map { (p: Float) in p / 255 }
        #expect(t.values(as: Float.self) == expected)
    }

    @Test func modelNormalizationWorksOn0To255() throws {
        let norm = Normalization(mean: [127.5], std: [127.5])
        let t = try ImagePreprocessor(spec: spec(.float32, [1, 1, 2, 3]), normalization: norm).tensor(for: [tiny()])
        let expected: [Float] = [0, 128, 255, 10, 20, 30].map { (p: Float) in (p - 127.5) / 127.5 }
        #expect(t.values(as: Float.self) == expected)
        #expect(t.values(as: Float.self).first == -1 && t.values(as: Float.self)[2] == 1)
    }

    @Test func userMeanStdWorkOn0To1PerChannel() throws {
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let p = try ImagePreprocessor(spec: spec(.float32, [1, 3, 1, 2]), mean: mean, std: std)
        let t = try p.tensor(for: [tiny()])
        let planes: [[Float]] = [[0, 10], [128, 20], [255, 30]]
        let expected = (0..<3).flatMap { c in planes[c].map { ($0 / 255 - mean[c]) / std[c] } }
        #expect(t.values(as: Float.self) == expected)
    }

    @Test func userValuesOverrideModelNormalization() throws {
        let norm = Normalization(mean: [127.5], std: [127.5])
        let t = try ImagePreprocessor(spec: spec(.float32, [1, 1, 2, 3]), normalization: norm, mean: [0.5], std: [0.5])
            .tensor(for: [tiny()])
        let expected: [Float] = [0, 128, 255, 10, 20, 30].map { (p: Float) in (p / 255 - 0.5) / 0.5 }
        #expect(t.values(as: Float.self) == expected)
    }

    @Test func float16() throws {
        let t = try ImagePreprocessor(spec: spec(.float16, [1, 1, 2, 3])).tensor(for: [tiny()])
        let expected: [Float] = [0, 128, 255, 10, 20, 30].map { (p: Float) in Float(Float16(p / 255)) }
        #expect(t.floatValues() == expected)
    }

    @Test func oneChannelTakesPillowLuma() throws {
        let t = try ImagePreprocessor(spec: spec(.uint8, [1, 1, 2, 1])).tensor(for: [tiny()])
        // Pillow 13's convert('L') of these two pixels.
        #expect(t.values(as: UInt8.self) == [104, 18])
    }

    @Test func batchesAndResizes() throws {
        let p = try ImagePreprocessor(spec: spec(.uint8, [-1, 1, 1, 3]))
        let other = try RGBImage(width: 1, height: 1, pixels: [7, 8, 9])
        let t = try p.tensor(for: [tiny(), other])
        #expect(t.shape == [2, 1, 1, 3])
        #expect(t.values(as: UInt8.self) == [5, 74, 143, 7, 8, 9])  // 2x1 averaged by the bilinear resize
        #expect(throws: LedgeError.invalidInput("model input 'images' takes a batch of 1 image(s), got 2")) {
            try ImagePreprocessor(spec: spec(.uint8, [1, 1, 1, 3])).tensor(for: [tiny(), other])
        }
    }

    @Test func dynamicSizeNeedsInputSize() throws {
        let dynamic = spec(.float32, [-1, 3, -1, -1], name: "x")
        #expect(throws: LedgeError.usage("model input 'x' has dynamic height/width [-1, 3, -1, -1]; pass --input-size HxW")) {
            try ImagePreprocessor(spec: dynamic)
        }
        let p = try ImagePreprocessor(spec: dynamic, inputSize: try ImageSize.parse(heightByWidth: "48x192"))
        #expect(p.size == ImageSize(width: 192, height: 48) && p.shape(batch: 2) == [2, 3, 48, 192])
        #expect(throws: LedgeError.usage("--input-size 48x192 does not fit model input 'images' with shape [1, 224, 224, 3]")) {
            try ImagePreprocessor(spec: spec(.uint8, [1, 224, 224, 3]), inputSize: ImageSize(width: 192, height: 48))
        }
    }

    @Test func nonImageInputs() {
        for shape in [[1, 1000], [1, 224, 224, 4], [1, 5, 224, 224]] {
            let s = spec(.float32, shape, name: "in")
            #expect(
                throws: LedgeError.invalidInput(
                    "model input 'in' with shape \(s.shapeDescription) is not an image (expected [N,H,W,3] or [N,3,H,W])")
            ) {
                try ImagePreprocessor(spec: s)
            }
        }
        #expect(
            throws: LedgeError.invalidInput(
                "model input 'images' has dtype int32; images feed uint8, int8, float16 or float32 inputs")
        ) {
            try ImagePreprocessor(spec: spec(.int32, [1, 224, 224, 3]))
        }
        #expect(throws: LedgeError.usage("--mean expects 1 or 3 values, got 2")) {
            try ImagePreprocessor(spec: spec(.float32, [1, 224, 224, 3]), mean: [0.5, 0.5])
        }
    }

    @Test func inputSizeParsing() throws {
        #expect(try ImageSize.parse(heightByWidth: "224") == ImageSize(width: 224, height: 224))
        #expect(try ImageSize.parse(heightByWidth: "48X192") == ImageSize(width: 192, height: 48))
        #expect(throws: LedgeError.usage("--input-size expects HxW with positive sizes (e.g. 224x224), got '0x5'")) {
            try ImageSize.parse(heightByWidth: "0x5")
        }
    }

    /// Decode with DCT scaling + resize + pack equals Pillow's draft-and-resize.
    @Test func decodeAndPrepareLargeJPEG() throws {
        let p = try ImagePreprocessor(spec: spec(.uint8, [1, 224, 224, 3]))
        let t = try p.decodeAndPrepare(paths: [Fixtures.image("coffee_4000x3000.jpg")])
        let draft = try #require(try VisionReference.load().entry("coffee_4000x3000.jpg").draft224)
        let expected = try VisionReference.image(draft.file, width: 224, height: 224)
        let difference = PixelDifference(try RGBImage(width: 224, height: 224, pixels: t.values(as: UInt8.self)), expected)
        #expect(difference.max <= 1, "\(difference)")
        let small = try p.decode(try fixtureData("chelsea.jpg"), name: "chelsea.jpg")
        #expect(small.size == ImageSize(width: 451, height: 300))  // 1/2 would not cover 224
        let half = try p.decode(try fixtureData("chelsea_640x480.jpg"), name: "chelsea_640x480.jpg")
        #expect(half.size == ImageSize(width: 320, height: 240))
    }

    static let jpegs =
        ["chelsea", "coffee", "astronaut", "rocket"].flatMap { [$0 + ".jpg", $0 + "_640x480.jpg", $0 + "_4000x3000.jpg"] }
        + ["chelsea_exif6.jpg", "chelsea_cmyk.jpg", "chelsea_gray.jpg", "chelsea_progressive.jpg"]

    /// Decoding for a 224×224 input picks the DCT scale Pillow's `draft` picks
    /// (640×480 → 1/2, 4000×3000 → 1/8, smaller → 1/1) and gives its pixels.
    @Test(arguments: jpegs)
    func decodeAndPrepareMatchesPillowDraft(_ name: String) throws {
        let p = try ImagePreprocessor(spec: spec(.uint8, [1, 224, 224, 3]))
        let t = try p.decodeAndPrepare([(data: try fixtureData(name), name: name)])
        let draft = try #require(try VisionReference.load().entry(name).draft224)
        let expected = try VisionReference.image(draft.file, width: 224, height: 224)
        let difference = PixelDifference(try RGBImage(width: 224, height: 224, pixels: t.values(as: UInt8.self)), expected)
        #expect(difference.max <= 1, "\(name): \(difference)")
    }

    @Test func stepsComposeToTheSameTensor() throws {
        let p = try ImagePreprocessor(spec: spec(.float32, [1, 3, 224, 224]))
        let data = try fixtureData("chelsea.jpg")
        let stepwise = try p.pack([p.resize(p.decode(data, name: "chelsea.jpg"))])
        let direct = try p.decodeAndPrepare([(data: data, name: "chelsea.jpg")])
        #expect(stepwise.values(as: Float.self) == direct.values(as: Float.self))
        #expect(throws: LedgeError.invalidInput("model input 'images' takes 224x224 images, got 451x300; resize first")) {
            try p.pack([ImageDecoder.decode(data, name: "chelsea.jpg")])
        }
    }
}
