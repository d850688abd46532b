import LedgeCore
import SwiftProtobuf
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

/// The graph level and the warmup samples, as `GET …/config` shows them over HTTP.
@Suite struct ModelMessagesOptimizationTests {
    @Test func graphLevelAndWarmupAreCarried() throws {
        let config = try ModelConfig.parse(
            """
            optimization { graph { level: -1 } }
            model_warmup [
              { name: "zeros" batch_size: 2 count: 3 inputs { key: "a" value { data_type: TYPE_FP32 dims: [4] zero_data: true } } },
              { name: "file" inputs [
                { key: "a" value { data_type: TYPE_FP32 dims: [4] input_data_file: "a.bin" } },
                { key: "b" value { data_type: TYPE_UINT8 dims: [2, 2] random_data: true } } ] }
            ]
            """, file: "config.pbtxt")
        let message = ModelMessages.config(config)
        #expect(message.optimization.graph.level == -1)
        #expect(message.modelWarmup.map(\.name) == ["zeros", "file"])
        #expect(message.modelWarmup.map(\.batchSize) == [2, 1])
        #expect(message.modelWarmup.map(\.count) == [3, 0])
        let zeros = try #require(message.modelWarmup.first?.inputs["a"])
        #expect(zeros.dataType == .typeFp32 && zeros.dims == [4] && zeros.zeroData)
        let file = try #require(message.modelWarmup.last)
        #expect(file.inputs["a"]?.inputDataFile == "a.bin")
        #expect(file.inputs["b"]?.dataType == .typeUint8 && file.inputs["b"]?.dims == [2, 2] && file.inputs["b"]?.randomData == true)
        // Triton's field numbers: optimization 12 (tag 0x62), model_warmup 16 (tag 0x82 0x01).
        var alone = Inference_ModelConfig()
        alone.optimization = message.optimization
        let level: [UInt8] = try alone.serializedBytes()
        #expect(level.first == 0x62)
        alone = Inference_ModelConfig()
        alone.modelWarmup = [message.modelWarmup[0]]
        let warmup: [UInt8] = try alone.serializedBytes()
        #expect(Array(warmup.prefix(2)) == [0x82, 0x01])
    }

    /// Unset, neither is sent, as `GET …/config` leaves them out.
    @Test func noLevelNoWarmup() throws {
        let message = ModelMessages.config(try ModelConfig.parse("max_batch_size: 0", file: "config.pbtxt"))
        #expect(!message.hasOptimization)
        #expect(message.modelWarmup.isEmpty)
    }
}
