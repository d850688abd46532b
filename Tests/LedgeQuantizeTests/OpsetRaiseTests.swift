import Foundation
import LedgeCore
import LedgeONNX
import LedgeONNXModel
@testable import LedgeQuantize
import LedgeTesting
import Testing

/// Raising opset 11 to 13 keeps the meaning of the seven operators whose signature changed:
/// ONNX Runtime gives the raised model the original's outputs.
@Suite(.ownThread) struct OpsetRaiseTests {
    /// x [1,4,2,3] → Split(axis 1, [1,3]) → Unsqueeze(0) → Squeeze(0); Softmax(axis 1) on the
    /// 3-channel half (opset 11: over the 18 values flattened from axis 1); ReduceSum(axes 2).
    static func opset11Model() -> ONNXModelFile {
        var model = Onnx_ModelProto()
        model.irVersion = 7
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = 11
        model.opsetImport = [opset]
        var graph = Onnx_GraphProto()
        graph.name = "raise"
        var input = Onnx_ValueInfoProto()
        input.name = "x"
        input.type.tensorType.elemType = Onnx_TensorProto.floatType
        input.type.tensorType.shape.dim = [1, 4, 2, 3].map { value in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(value)
            return dim
        }
        graph.input = [input]
        graph.node = [
            Onnx_NodeProto(
                "Split", name: "split", inputs: ["x"], outputs: ["a", "b"],
                attributes: [Onnx_AttributeProto(name: "axis", int: 1), Onnx_AttributeProto(name: "split", ints: [1, 3])]),
            Onnx_NodeProto("Unsqueeze", name: "unsqueeze", inputs: ["a"], outputs: ["u"], attributes: [Onnx_AttributeProto(name: "axes", ints: [0])]),
            Onnx_NodeProto("Squeeze", name: "squeeze", inputs: ["u"], outputs: ["s"], attributes: [Onnx_AttributeProto(name: "axes", ints: [0])]),
            Onnx_NodeProto("Softmax", name: "softmax", inputs: ["b"], outputs: ["sm"], attributes: [Onnx_AttributeProto(name: "axis", int: 1)]),
            Onnx_NodeProto(
                "ReduceSum", name: "sum", inputs: ["b"], outputs: ["r"],
                attributes: [Onnx_AttributeProto(name: "axes", ints: [2]), Onnx_AttributeProto(name: "keepdims", int: 1)]),
        ]
        graph.output = ["s", "sm", "r"].map { name in
            var output = Onnx_ValueInfoProto()
            output.name = name
            output.type.tensorType.elemType = Onnx_TensorProto.floatType
            return output
        }
        model.graph = graph
        return ONNXModelFile(model: model, path: "raise.onnx")
    }

    @Test func raisedModelGivesTheSameOutputs() throws {
        let original = Self.opset11Model()
        var raised = original
        let summary = try ModelPreparation.prepare(&raised)
        #expect(summary.opsetFrom == 11)
        #expect(raised.opsetVersion == 13)
        let ops = raised.model.graph.node.map(\.opType)
        #expect(ops == ["Split", "Unsqueeze", "Squeeze", "Shape", "Flatten", "Softmax", "Reshape", "ReduceSum"])
        #expect(!raised.model.graph.node.contains { $0.attribute("split") != nil || $0.attribute("axes") != nil })

        let runtime = try ONNXRuntime.shared()
        let input = Tensor(dtype: .float32, shape: [1, 4, 2, 3], values: (0..<24).map { Float($0 % 7) / 3 - 1 })
        let before = try ONNXSession(file: ModelFile(onnx: Data(try original.serialized()), path: "opset11"), runtime: runtime).run([input])
        let after = try ONNXSession(file: ModelFile(onnx: Data(try raised.serialized()), path: "opset13"), runtime: runtime).run([input])
        #expect(before.map(\.shape) == [[1, 1, 2, 3], [1, 3, 2, 3], [1, 3, 1, 3]])
        #expect(after.map(\.shape) == before.map(\.shape))
        for (x, y) in zip(before, after) {
            let (p, q) = (x.values(as: Float.self), y.values(as: Float.self))
            #expect(zip(p, q).allSatisfy { abs($0 - $1) < 1e-6 }, "\(p) against \(q)")
        }
        // Opset 11's Softmax normalizes over all 18 values from axis 1, not over the 3 channels.
        #expect(abs(before[1].values(as: Float.self).reduce(0, +) - 1) < 1e-5)
    }

    @Test func controlFlowIsNotRaised() throws {
        var file = Self.opset11Model()
        var branch = Onnx_AttributeProto()
        branch.name = "then_branch"
        branch.type = .graph
        branch.g = Onnx_GraphProto()
        file.model.graph.node.append(Onnx_NodeProto("If", name: "choose", inputs: ["c"], outputs: ["y"], attributes: [branch]))
        #expect(
            throws: LedgeError.invalidModel(
                "raise.onnx: node 'choose' (If) has a subgraph ('then_branch'): expected opset 13 or later for models with control flow (convert it with onnx.version_converter)"
            )
        ) { _ = try ModelPreparation.prepare(&file) }
    }
}
