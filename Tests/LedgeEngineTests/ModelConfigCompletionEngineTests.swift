import LedgeCore
import LedgeEngine
import LedgeTesting
import Logging
import Testing

/// Config completion from what the runtimes report for the real fixture models.
@Suite(.ownThread) struct ModelConfigCompletionEngineTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func completed(_ model: String) throws -> ModelConfig {
        let info = try ModelLoader.open(path: Fixtures.model(model), logger: Self.logger).info
        return try ModelConfig().completed(for: info, format: nil, file: "config.pbtxt")
    }

    @Test func mobilenetWithDynamicBatch() throws {
        let config = try completed("mobilenet_gen.onnx")
        #expect(config.maxBatchSize == 8)
        #expect(config.platform == "onnxruntime_onnx")
        #expect(config.inputs == [TensorConfig(name: "input", dtype: .float32, dims: [3, 224, 224])])
        #expect(config.outputs == [TensorConfig(name: "output", dtype: .float32, dims: [1000])])
    }

    @Test func efficientnetWithFixedBatch() throws {
        let config = try completed("efficientnet_lite0.tflite")
        #expect(config.maxBatchSize == 0)
        #expect(config.platform == "tflite")
        #expect(config.inputs == [TensorConfig(name: "images", dtype: .uint8, dims: [1, 224, 224, 3])])
        #expect(config.outputs == [TensorConfig(name: "Softmax", dtype: .uint8, dims: [1, 1000])])
    }
}
