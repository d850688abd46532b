import Foundation
import LedgeCore
@testable import LedgeONNX
import LedgeTesting
import Testing

@Suite(.ownThread) struct ONNXModelSummaryTests {
    func summary(_ nodes: [TestNode], initializers: [(String, Int, [UInt8])] = []) throws -> ONNXModelSummary {
        var builder = ONNXBuilder()
        builder.nodes = nodes
        builder.initializers = initializers
        return try #require(ONNXModelSummary.scan(builder.data()))
    }

    @Test func readsVersionsProducerAndOperators() throws {
        let s = try summary([
            TestNode(op: "Conv", inputs: ["x", "w"], outputs: ["c"]),
            TestNode(op: "Relu", inputs: ["c"], outputs: ["r"]),
            TestNode(op: "Conv", inputs: ["r", "w2"], outputs: ["y"]),
        ])
        #expect(s.irVersion == 8)
        #expect(s.producerName == "ledge-tests")
        #expect(s.producerVersion == "0.1")
        #expect(s.opsets.map(\.domain) == ["ai.onnx"])
        #expect(s.opsets.map(\.version) == [13])
        #expect(s.operators.map(\.name) == ["Conv", "Relu"])
        #expect(s.operators.map(\.count) == [2, 1])
        #expect(s.quantized == .no)
    }

    @Test func qdqEverywhereIsQuantized() throws {
        let s = try summary(
            [
                TestNode(op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
                TestNode(op: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xd"]),
                TestNode(op: "DequantizeLinear", inputs: ["wq", "ws", "wz"], outputs: ["wd"]),
                TestNode(op: "Conv", inputs: ["xd", "wd", "b"], outputs: ["y"]),
            ], initializers: [("wq", 3, [1, 2, 3, 4])])
        #expect(s.quantized == .yes)
    }

    @Test func qlinearOpsAreQuantized() throws {
        let s = try summary([
            TestNode(op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
            TestNode(op: "QLinearConv", inputs: ["xq", "s", "z", "w", "ws", "wz", "ys", "yz"], outputs: ["yq"]),
            TestNode(op: "MatMulInteger", inputs: ["yq", "m"], outputs: ["out"]),
        ])
        #expect(s.quantized == .yes)
    }

    @Test func weightOnlyOrMixedIsPartial() throws {
        let s = try summary(
            [
                TestNode(op: "DequantizeLinear", inputs: ["wq", "ws", "wz"], outputs: ["wd"]),
                TestNode(op: "Conv", inputs: ["x", "wd"], outputs: ["c"]),  // float activations
                TestNode(op: "MatMul", inputs: ["c", "m"], outputs: ["y"]),
            ], initializers: [("wq", 3, [1, 2, 3, 4])])
        #expect(s.quantized == .partial)
    }

    @Test func int8InitializersAloneCountAsQuantization() throws {
        let s = try summary([TestNode(op: "Gemm", inputs: ["x", "w"], outputs: ["y"])], initializers: [("w", 2, [1, 2])])
        #expect(s.quantized == .partial)
    }

    @Test func realModelOperators() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")))
        let s = try #require(ONNXModelSummary.scan(data))
        #expect(s.operators.first?.name != nil)
        #expect(s.operators.reduce(0) { $0 + $1.count } > 20)
        #expect(s.quantized == .no)
    }

    @Test func truncationsAndNoiseNeverCrash() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")))
        for cut in stride(from: 0, to: data.count, by: max(1, data.count / 997)) {
            _ = ONNXModelSummary.scan(data.prefix(cut))
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var noisy = data.prefix(4096)
            for _ in 0..<16 {
                let i = Int.random(in: 0..<noisy.count, using: &generator)
                noisy[noisy.startIndex + i] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = ONNXModelSummary.scan(noisy)
        }
        #expect(ONNXModelSummary.scan(Data([0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])) == nil)
        #expect(ONNXModelSummary.scan(Data()) == nil)
    }

    @Test func labelsFromMetadataText() {
        #expect(ONNXSession.parseLabels("[\"cat\", \"dog\"]") == ["cat", "dog"])
        #expect(ONNXSession.parseLabels("cat\ndog\nbird\n") == ["cat", "dog", "bird"])
        #expect(ONNXSession.parseLabels("cat, dog") == ["cat", "dog"])
        #expect(ONNXSession.parseLabels("just one") == nil)
        #expect(ONNXSession.parseLabels("[1, 2]") == nil)
    }

    @Test func metadataAndLabelsThroughTheRuntime() throws {
        var builder = ONNXBuilder.add(metadata: [("labels", "zero\none\ntwo"), ("author", "Ledge")])
        builder.docString = "adds two tensors"
        builder.modelVersion = 3
        let path = try temporaryFile(named: "add_meta.onnx", bytes: builder.data())
        defer { removeTemporaryFile(path) }
        let session = try ONNXSession(path: path)
        let metadata = session.info.metadata
        #expect(metadata.name == "test_graph")
        #expect(metadata.description == "adds two tensors")
        #expect(metadata.version == "3")
        #expect(metadata.author == "Ledge")
        #expect(metadata.labels == ["zero", "one", "two"])
        #expect(metadata.properties["producer_name"] == "ledge-tests")
        #expect(metadata.properties["domain"] == "ai.ledge")
        #expect(metadata.properties["opset_import"] == "ai.onnx:13")
        #expect(session.info.inputs.map(\.shape) == [[-1, 4], [-1, 4]])

        let a = Tensor(dtype: .float32, shape: [1, 4], values: [Float](arrayLiteral: 1, 2, 3, 4))
        let b = Tensor(dtype: .float32, shape: [1, 4], values: [Float](arrayLiteral: 10, 20, 30, 40))
        #expect(try session.run([a, b])[0].values(as: Float.self) == [11, 22, 33, 44])
    }
}
