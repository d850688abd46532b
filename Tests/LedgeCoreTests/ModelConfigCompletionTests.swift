import LedgeCore
import Testing

/// Triton's auto-complete: what a config leaves out comes from the model, what it
/// gives is checked against the model. The ModelInfo values are those the runtimes
/// report for the fixture models (LedgeEngineTests checks two against the real loads).
@Suite struct ModelConfigCompletionTests {
    /// `mobilenet_gen.onnx`: input `input` FP32 [N, 3, 224, 224], output `output` FP32 [N, 1000].
    static let mobilenet = ModelInfo(
        path: "mobilenet_gen.onnx", format: .onnx, runtimeVersion: "1", sizeBytes: 1,
        inputs: [TensorSpec(name: "input", dtype: .float32, shape: [-1, 3, 224, 224])],
        outputs: [TensorSpec(name: "output", dtype: .float32, shape: [-1, 1000])])

    /// `efficientnet_lite0.tflite`: input `images` UINT8 [1, 224, 224, 3], output `Softmax` UINT8 [1, 1000].
    static let efficientnet = ModelInfo(
        path: "efficientnet_lite0.tflite", format: .tflite, runtimeVersion: "1", sizeBytes: 1,
        inputs: [TensorSpec(name: "images", dtype: .uint8, shape: [1, 224, 224, 3])],
        outputs: [TensorSpec(name: "Softmax", dtype: .uint8, shape: [1, 1000])])

    /// `add.onnx`: inputs `a`, `b` FP32 [N, 4], output `sum` FP32 [N, 4].
    static let add = ModelInfo(
        path: "add.onnx", format: .onnx, runtimeVersion: "1", sizeBytes: 1,
        inputs: [TensorSpec(name: "a", dtype: .float32, shape: [-1, 4]), TensorSpec(name: "b", dtype: .float32, shape: [-1, 4])],
        outputs: [TensorSpec(name: "sum", dtype: .float32, shape: [-1, 4])])

    static func complete(_ text: String, _ info: ModelInfo, format: ModelFormat? = nil) throws -> ModelConfig {
        try ModelConfig.parse(text, file: "config.pbtxt").completed(for: info, format: format, file: "config.pbtxt")
    }

    static func error(_ message: String) -> LedgeError { LedgeError.invalidModel("config.pbtxt: " + message) }

    @Test func dynamicFirstDimensionGetsTheDefaultBatch() throws {
        let config = try Self.complete("", Self.mobilenet)
        #expect(config.maxBatchSize == 8)
        #expect(config.platform == "onnxruntime_onnx")
        #expect(config.backend == "onnxruntime")
        #expect(config.inputs == [TensorConfig(name: "input", dtype: .float32, dims: [3, 224, 224])])
        #expect(config.outputs == [TensorConfig(name: "output", dtype: .float32, dims: [1000])])
        #expect(config.instanceGroups.isEmpty)
        #expect(try ModelConfig().completed(for: Self.mobilenet, format: .onnx, file: nil) == config)
    }

    /// The config's sizes replace the model's dynamic ones (the batch dimension stays dynamic);
    /// what the model fixes, the config must repeat.
    @Test func narrowingServesTheConfigsSizes() throws {
        let ocr = ModelInfo(
            path: "cls.onnx", format: .onnx, runtimeVersion: "1", sizeBytes: 1,
            inputs: [TensorSpec(name: "x", dtype: .float32, shape: [-1, 3, -1, -1])],
            outputs: [TensorSpec(name: "y", dtype: .float32, shape: [-1, 2])])
        let config = try Self.complete("max_batch_size: 4\ninput [{ name: \"x\", data_type: TYPE_FP32, dims: [3, 48, 192] }]", ocr)
        let served = config.narrowing(ocr)
        #expect(served.inputs.map(\.shape) == [[-1, 3, 48, 192]])
        #expect(served.outputs.map(\.shape) == [[-1, 2]])
        let unbatched = try Self.complete("max_batch_size: 0\ninput [{ name: \"a\", data_type: TYPE_FP32, dims: [2, 4] }]", Self.add)
        #expect(unbatched.narrowing(Self.add).inputs.map(\.shape) == [[2, 4], [-1, 4]])
    }

    @Test func fixedBatchOfOneIsNoBatch() throws {
        let config = try Self.complete("", Self.efficientnet)
        #expect(config.maxBatchSize == 0)
        #expect(config.platform == "tflite")
        #expect(config.backend == "tflite")
        #expect(config.inputs == [TensorConfig(name: "images", dtype: .uint8, dims: [1, 224, 224, 3])])
        #expect(config.outputs == [TensorConfig(name: "Softmax", dtype: .uint8, dims: [1, 1000])])
    }

    @Test func whatIsGivenIsKeptAndTheRestFilled() throws {
        let text = """
            max_batch_size: 2
            input { name: "b" data_type: TYPE_FP32 dims: [4] }
            dynamic_batching { preferred_batch_size: 2 }
            instance_group { count: 3 }
            """
        let config = try Self.complete(text, Self.add)
        #expect(config.maxBatchSize == 2)
        #expect(config.inputs.map(\.name) == ["b", "a"])
        #expect(config.inputs[1] == TensorConfig(name: "a", dtype: .float32, dims: [4]))
        #expect(config.outputs == [TensorConfig(name: "sum", dtype: .float32, dims: [4])])
        #expect(config.instanceCount == 3)
    }

    @Test func fullRankDimsOrAZeroBatchMeanNoBatching() throws {
        let listed = try Self.complete("input { name: \"input\" data_type: TYPE_FP32 dims: [-1, 3, 224, 224] }", Self.mobilenet)
        #expect(listed.maxBatchSize == 0)
        #expect(listed.outputs == [TensorConfig(name: "output", dtype: .float32, dims: [-1, 1000])])
        let zero = try Self.complete("max_batch_size: 0", Self.mobilenet)
        #expect(zero.inputs == [TensorConfig(name: "input", dtype: .float32, dims: [-1, 3, 224, 224])])
        let sized = try Self.complete("max_batch_size: 0 input { name: \"input\" data_type: TYPE_FP32 dims: [1, 3, 224, 224] }", Self.mobilenet)
        #expect(sized.inputs[0].dims == [1, 3, 224, 224])
    }

    @Test(arguments: [
        (
            "input { name: \"input\" data_type: TYPE_INT8 dims: [3, 224, 224] }",
            "input 'input': data_type TYPE_INT8 does not match the model: expected TYPE_FP32"
        ),
        (
            "input { name: \"input\" data_type: TYPE_FP32 dims: [3, 224] }",
            "input 'input': dims [3, 224] do not match the model: expected [3, 224, 224] (max_batch_size 8: without the batch dimension)"
        ),
        (
            "max_batch_size: 4 input { name: \"input\" data_type: TYPE_FP32 dims: [3, 112, 224] }",
            "input 'input': dims [3, 112, 224] do not match the model: expected [3, 224, 224] (max_batch_size 4: without the batch dimension)"
        ),
        ("input { name: \"x\" data_type: TYPE_FP32 dims: [3] }", "input 'x' is not in the model: expected one of 'input'"),
        ("output { name: \"logits\" data_type: TYPE_FP32 dims: [1000] }", "output 'logits' is not in the model: expected one of 'output'"),
        (
            "output { name: \"output\" data_type: TYPE_FP16 dims: [1000] }",
            "output 'output': data_type TYPE_FP16 does not match the model: expected TYPE_FP32"
        ),
        ("platform: \"tflite\"", "platform 'tflite' does not match the model: expected onnxruntime_onnx for an ONNX model"),
        ("backend: \"tflite\"", "backend 'tflite' does not match the model: expected onnxruntime for an ONNX model"),
        (
            "input { name: \"input\" data_type: TYPE_FP32 dims: [-1, 3, 224, 224] } dynamic_batching { }",
            "dynamic_batching needs a batch: expected max_batch_size > 0"
        ),
        (
            "dynamic_batching { preferred_batch_size: [4, 16] }",
            "dynamic_batching.preferred_batch_size 16 is larger than max_batch_size 8: expected at most 8"
        ),
    ])
    func mobilenetMismatches(_ text: String, _ message: String) {
        #expect(throws: Self.error(message)) { try Self.complete(text, Self.mobilenet) }
    }

    @Test(arguments: [
        (
            "max_batch_size: 4",
            "max_batch_size 4 needs a model whose inputs and outputs all have a dynamic first dimension: expected max_batch_size 0, as 'images' has shape [1, 224, 224, 3]"
        ),
        (
            "input { name: \"images\" data_type: TYPE_UINT8 dims: [224, 224, 3] }",
            "input 'images': dims [224, 224, 3] do not match the model: expected [1, 224, 224, 3]"
        ),
        ("platform: \"onnxruntime_onnx\"", "platform 'onnxruntime_onnx' does not match the model: expected tflite for a TFLite model"),
        ("backend: \"onnxruntime\"", "backend 'onnxruntime' does not match the model: expected tflite or armnn_tflite for a TFLite model"),
        ("dynamic_batching { }", "dynamic_batching needs a batch: expected max_batch_size > 0"),
    ])
    func efficientnetMismatches(_ text: String, _ message: String) {
        #expect(throws: Self.error(message)) { try Self.complete(text, Self.efficientnet) }
    }

    /// `armnn_tflite`, Triton's TFLite backend, names LiteRT's model as `tflite` does, and is kept.
    @Test func armnnTFLiteIsATFLiteBackend() throws {
        #expect(try Self.complete("backend: \"armnn_tflite\"", Self.efficientnet).backend == "armnn_tflite")
        #expect(try Self.complete("platform: \"tflite\" backend: \"armnn_tflite\"", Self.efficientnet).platform == "tflite")
        #expect(throws: Self.error("backend 'armnn_tflite' does not match the model: expected onnxruntime for an ONNX model")) {
            try Self.complete("backend: \"armnn_tflite\"", Self.mobilenet)
        }
    }

    @Test func formatOverridesTheInfosAndFileDefaults() {
        #expect(throws: LedgeError.invalidModel("config: platform 'onnxruntime_onnx' does not match the model: expected tflite for a TFLite model")) {
            try ModelConfig(platform: "onnxruntime_onnx").completed(for: Self.mobilenet, format: .tflite, file: nil)
        }
    }
}
