import LedgeCore
@testable import LedgeServing
import Testing

/// config.pbtxt around a session: an output the model sizes otherwise than the config's reshape
/// says is an error naming it, not a crash; a config listing some outputs serves those alone.
@Suite struct ConfiguredSessionTests {
    /// A model whose output size it decides at run time: `y` has as many elements as `x` has rows.
    final class RowsSession: InferenceSession {
        let info = ModelInfo(
            path: "rows", format: .onnx, runtimeVersion: "test", sizeBytes: 0,
            inputs: [TensorSpec(name: "x", dtype: .float32, shape: [-1, 2])],
            outputs: [TensorSpec(name: "y", dtype: .float32, shape: [1, -1])])
        var executionProvider: String? { nil }

        func run(_ inputs: [Tensor]) throws -> [Tensor] {
            let rows = inputs[0].shape[0]
            return [Tensor(dtype: .float32, shape: [1, rows], values: [Float](repeating: 1, count: rows))]
        }
    }

    @Test func anOutputOfAnotherSizeIsNamed() throws {
        let config = try ModelConfig.parse(
            """
            max_batch_size: 0
            input [{ name: "x", data_type: TYPE_FP32, dims: [6], reshape { shape: [3, 2] } }]
            output [{ name: "y", data_type: TYPE_FP32, dims: [3], reshape { shape: [1, 3] } }]
            """, file: "config.pbtxt")
        let session = ConfiguredSession(base: RowsSession(), reshapes: try #require(TensorReshapes(config)))
        let output = try session.run([Tensor(dtype: .float32, shape: [6], values: [Float](repeating: 0, count: 6))])
        #expect(output[0].shape == [3])
        // Four rows give four elements, which dims [3] cannot hold.
        let wide = ConfiguredSession(
            base: RowsSession(),
            reshapes: try #require(
                TensorReshapes(
                    try ModelConfig.parse(
                        "max_batch_size: 0\ninput [{ name: \"x\", data_type: TYPE_FP32, dims: [8], reshape { shape: [4, 2] } }]\n"
                            + "output [{ name: \"y\", data_type: TYPE_FP32, dims: [3], reshape { shape: [1, 3] } }]", file: "config.pbtxt"))))
        #expect(throws: LedgeError.runtimeFailure("'y' has shape [1, 4], which config.pbtxt's reshape cannot make [3]: expected 3 elements")) {
            try wide.run([Tensor(dtype: .float32, shape: [8], values: [Float](repeating: 0, count: 8))])
        }
    }

    /// A model of three outputs: x + 1, x + 2, x + 3.
    final class ThreeSession: InferenceSession {
        let info = ModelInfo(
            path: "three", format: .onnx, runtimeVersion: "test", sizeBytes: 0,
            inputs: [TensorSpec(name: "x", dtype: .float32, shape: [2])],
            outputs: ["p1", "p2", "p3"].map { TensorSpec(name: $0, dtype: .float32, shape: [2]) })
        var executionProvider: String? { nil }

        func run(_ inputs: [Tensor]) throws -> [Tensor] {
            let x = inputs[0].values(as: Float.self)
            return (1...3).map { k in Tensor(dtype: .float32, shape: [2], values: x.map { $0 + Float(k) }) }
        }
    }

    /// The listed outputs, in the config's order (as Triton's metadata and responses), reshaped as it says.
    @Test func listedOutputsAreServedInTheConfigsOrder() throws {
        let config = try ModelConfig.parse(
            """
            max_batch_size: 0
            output [{ name: "p3", data_type: TYPE_FP32, dims: [2] },
                    { name: "p1", data_type: TYPE_FP32, dims: [1, 2], reshape { shape: [2] } }]
            """, file: "config.pbtxt")
        let session = ConfiguredSession.wrap(ThreeSession(), config: config)
        #expect(session.info.outputs.map(\.name) == ["p3", "p1"])
        let outputs = try session.run([Tensor(dtype: .float32, shape: [2], values: [Float(10), 20])])
        #expect(outputs.map { $0.values(as: Float.self) } == [[13, 23], [11, 21]])
        #expect(outputs.map(\.shape) == [[2], [1, 2]])
    }

    /// A config that changes nothing leaves the session as it is.
    @Test func aConfigThatChangesNothingDoesNotWrap() throws {
        let base = ThreeSession()
        let all = try ModelConfig.parse("max_batch_size: 0\n", file: "config.pbtxt")
        #expect(ConfiguredSession.wrap(base, config: all) === base)
        let ordered = try ModelConfig.parse(
            "output [{ name: \"p1\", data_type: TYPE_FP32, dims: [2] }, { name: \"p2\", data_type: TYPE_FP32, dims: [2] }, "
                + "{ name: \"p3\", data_type: TYPE_FP32, dims: [2] }]", file: "config.pbtxt")
        #expect(ConfiguredSession.wrap(base, config: ordered) === base)
        #expect(ConfiguredSession.wrap(base, config: nil) === base)
    }
}
