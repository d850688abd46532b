import LedgeCore
@testable import LedgeGRPC
import Testing

/// ModelConfig over gRPC carries what config.pbtxt set, as Triton's does.
@Suite struct ModelMessagesTests {
    @Test func reshapeFormatAndFileNamesAreCarried() throws {
        let config = try ModelConfig.parse(
            """
            max_batch_size: 0
            default_model_filename: "net.onnx"
            input [{ name: "data_0", data_type: TYPE_FP32, format: FORMAT_NCHW, dims: [3, 224, 224], reshape { shape: [1, 3, 224, 224] } }]
            output [{ name: "fc6_1", data_type: TYPE_FP32, dims: [1000], reshape { shape: [1, 1000, 1, 1] }, label_filename: "labels.txt" }]
            """, file: "config.pbtxt")
        let message = ModelMessages.config(config)
        #expect(message.defaultModelFilename == "net.onnx")
        #expect(message.input[0].format == .nchw)
        #expect(message.input[0].dims == [3, 224, 224])
        #expect(message.input[0].reshape.shape == [1, 3, 224, 224])
        #expect(message.output[0].labelFilename == "labels.txt")
        #expect(message.output[0].reshape.shape == [1, 1000, 1, 1])
        let plain = ModelMessages.config(try ModelConfig.parse("input [{ name: \"a\", data_type: TYPE_FP32, dims: [4] }]", file: "c"))
        #expect(plain.input[0].format == .none)
        #expect(!plain.input[0].hasReshape)
        #expect(plain.defaultModelFilename == "")
    }
}
