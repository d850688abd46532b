internal import LedgeCore
internal import LedgeONNXModel

/// Raises a graph from opset 11 or 12 to 13. Between them seven operators changed:
/// Split, Squeeze, Unsqueeze and ReduceSum take as an input what was an attribute, and
/// Softmax, LogSoftmax and Hardmax work along one axis instead of on the input flattened to 2-D
/// at that axis. Every other operator means the same at 13.
enum OpsetRaise {
    static func raise(_ graph: inout Onnx_GraphProto, path: String) throws {
        var names = GraphEdit.definedNames(graph)
        let ranks = Dictionary(
            (graph.output + graph.valueInfo + graph.input).map { ($0.name, $0.type.tensorType.hasShape ? $0.type.tensorType.shape.dim.count : -1) },
            uniquingKeysWith: { first, _ in first })
        var nodes: [Onnx_NodeProto] = []
        for var node in graph.node {
            if let subgraph = node.attribute.first(where: { $0.hasG || !$0.graphs.isEmpty }) {
                throw LedgeError.invalidModel(
                    "\(path): node '\(node.name)' (\(node.opType)) has a subgraph ('\(subgraph.name)'): expected opset 13 or later for models with control flow (convert it with onnx.version_converter)"
                )
            }
            switch node.domain.isEmpty ? node.opType : "" {
            case "Split": moveToInput(&node, attribute: "split", slot: 1, names: &names, graph: &graph)
            case "Squeeze", "Unsqueeze", "ReduceSum": moveToInput(&node, attribute: "axes", slot: 1, names: &names, graph: &graph)
            case "Softmax", "LogSoftmax", "Hardmax":
                let axis = node.int("axis", default: 1)
                let rank = ranks[node.output[0]] ?? -1
                if axis == -1 || (rank > 0 && axis == rank - 1) {
                    break
                }
                nodes += flattened(node, axis: axis, names: &names)
                continue
            default: break
            }
            nodes.append(node)
        }
        graph.node = nodes
    }

    /// Moves the INTS attribute `attribute` of `node` into an int64 initializer read at input `slot`.
    private static func moveToInput(
        _ node: inout Onnx_NodeProto, attribute name: String, slot: Int,
        names: inout Set<String>, graph: inout Onnx_GraphProto
    ) {
        guard let index = node.attribute.firstIndex(where: { $0.name == name }) else { return }
        let values = node.attribute[index].ints
        node.attribute.remove(at: index)
        let tensorName = GraphEdit.unique("\(node.name.isEmpty ? node.output[0] : node.name)_\(name)", in: &names)
        graph.initializer.append(Onnx_TensorProto(name: tensorName, dims: [values.count], values: values))
        while node.input.count < slot { node.input.append("") }
        node.input.insert(tensorName, at: slot)
    }

    /// The opset-11 meaning at 13: Shape, Flatten at `axis`, the operator on the last axis, Reshape back.
    private static func flattened(_ node: Onnx_NodeProto, axis: Int, names: inout Set<String>) -> [Onnx_NodeProto] {
        let base = node.name.isEmpty ? node.output[0] : node.name
        let shape = GraphEdit.unique("\(base)_shape", in: &names)
        let flat = GraphEdit.unique("\(base)_2d", in: &names)
        let result = GraphEdit.unique("\(base)_2d_out", in: &names)
        var inner = node
        inner.name = base + "_2d_op"
        inner.input = [flat]
        inner.output = [result]
        inner.attribute = [Onnx_AttributeProto(name: "axis", int: -1)]
        return [
            Onnx_NodeProto("Shape", name: base + "_shape_op", inputs: [node.input[0]], outputs: [shape]),
            Onnx_NodeProto(
                "Flatten", name: base + "_flatten_op", inputs: [node.input[0]], outputs: [flat],
                attributes: [
                    Onnx_AttributeProto(name: "axis", int: axis)
                ]),
            inner,
            Onnx_NodeProto("Reshape", name: base + "_reshape_op", inputs: [result, shape], outputs: node.output),
        ]
    }
}
