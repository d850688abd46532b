import Foundation
import LedgeCore
import LedgeLiteRT
import LedgeTesting
import Testing

/// Quantization parameters that crash LiteRT instead of failing cleanly are
/// refused before the runtime sees the model, naming the file, the tensor and
/// the field. The files are efficientnet_lite0 with one field edited in place
/// (scripts/make_bad_models.py).
@Suite(.ownThread) struct QuantizationValidationTests {
    static let stem =
        "efficientnet-lite0/model/stem/tpu_batch_normalization/FusedBatchNormV3;efficientnet-lite0/stem/conv2d/kernel;efficientnet-lite0/model/stem/conv2d/Conv2D"
    static let depthwise =
        "efficientnet-lite0/model/blocks_0/tpu_batch_normalization/FusedBatchNormV3;efficientnet-lite0/model/blocks_0/depthwise_conv2d/depthwise"

    @Test(arguments: [
        (
            "zero_point_out_of_range.tflite",
            "subgraphs[0] tensors[0] 'images_int8': quantization zero_point[0] is 200: expected -128...127 for its type"
        ),
        (
            "quant_length_mismatch.tflite",
            "subgraphs[0] tensors[19] '\(stem)': quantization has 32 scale(s) and 16 zero_point(s): expected as many of each"
        ),
        (
            "bad_scale.tflite",
            "subgraphs[0] tensors[0] 'images_int8': quantization scale[0] is 0.0: expected a finite number above 0"
        ),
        (
            "bad_quantized_dimension.tflite",
            "subgraphs[0] tensors[53] '\(depthwise)': quantized_dimension is 4: expected 0...3 (its rank is 4)"
        ),
    ])
    func refusedNamingFileTensorAndField(_ file: String, _ detail: String) throws {
        let path = try BadModels.path(file)
        do {
            _ = try TFLiteModel(data: try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
            Issue.record("\(file) was accepted")
        } catch let error as LedgeError {
            #expect(error.code == .invalidModel)
            #expect(error.message == "\(path): \(detail)")
        }
        // The session refuses it the same way, before LiteRT compiles anything.
        #expect(
            Support.message { _ = try LiteRTSession(file: ModelFile(path: path), options: SessionOptions(threads: 1), runtime: Support.runtime()) }
                == "\(path): \(detail)")
    }

    /// FuzzTFLite's crasher Fuzz/Crashers/FuzzTFLite/quantized-tensor-name-with-line-breaks: a tensor
    /// name from the file went into the message as it was, so line breaks in it split the message.
    @Test func tensorNameIsShownOnOneLine() throws {
        let path = try BadModels.path("zero_point_out_of_range.tflite")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let name = Array("images_int8".utf8)
        var replaced = 0
        for i in 0...(bytes.count - name.count) where bytes[i..<(i + name.count)].elementsEqual(name) {
            bytes[i + 6] = 10  // images\nint8, same length
            replaced += 1
        }
        #expect(replaced > 0)
        #expect(
            throws: LedgeError.invalidModel(
                "x.tflite: subgraphs[0] tensors[0] 'images\\nint8': quantization zero_point[0] is 200: expected -128...127 for its type")
        ) {
            try TFLiteModel(data: Data(bytes), path: "x.tflite")
        }
    }

    @Test func zeroPointRangesFollowTheType() {
        #expect(TFLiteModel.zeroPointRange(forType: 9) == -128...127)
        #expect(TFLiteModel.zeroPointRange(forType: 3) == 0...255)
        #expect(TFLiteModel.zeroPointRange(forType: 7) == -32768...32767)
        #expect(TFLiteModel.zeroPointRange(forType: 0) == nil)  // FLOAT32: zero points are not read
    }
}
