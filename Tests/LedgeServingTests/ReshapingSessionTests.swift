import LedgeCore
@testable import LedgeServing
import Testing

/// config.pbtxt's reshape around a session: an output the model sizes otherwise than the config
/// says is an error naming it, not a crash.
@Suite struct ReshapingSessionTests {
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
        let session = ReshapingSession(base: RowsSession(), reshapes: try #require(TensorReshapes(config)))
        let output = try session.run([Tensor(dtype: .float32, shape: [6], values: [Float](repeating: 0, count: 6))])
        #expect(output[0].shape == [3])
        // Four rows give four elements, which dims [3] cannot hold.
        let wide = ReshapingSession(
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
}
