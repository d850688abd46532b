internal import LedgeCore
package import LedgeONNXModel

/// Dynamic quantization, in the form ONNX Runtime's `quantize_dynamic` writes and fuses
/// (`DynamicQuantizeMatMul`): the weights of MatMul (and of Gemm with alpha = beta = 1) are
/// stored as int8 with a symmetric scale per output column; the activation is quantized at run
/// time by `DynamicQuantizeLinear`, multiplied by `MatMulInteger`, and scaled back to float.
/// No calibration is needed.
package struct DynamicQuantizer {
    let exclude: Set<String>
    let weightRange: WeightRange

    package init(exclude: Set<String>, weightRange: WeightRange = .full) {
        self.exclude = exclude
        self.weightRange = weightRange
    }

    package func quantize(_ file: ONNXModelFile) throws -> QDQQuantizer.Outcome {
        var graph = file.model.graph
        let initializers = GraphEdit.initializerIndex(graph)
        var names = GraphEdit.definedNames(graph)
        var nodes: [Onnx_NodeProto] = []
        var quantized: [String] = []
        var float: [String] = []
        var packed: [String: (name: String, scale: String, zero: String)] = [:]
        for node in graph.node {
            let label = "\(node.name.isEmpty ? node.output.first ?? "?" : node.name) (\(node.opType))"
            guard !exclude.contains(node.name), !exclude.contains(node.opType), let form = Self.weightForm(node, initializers) else {
                nodes.append(node)
                float.append(label)
                continue
            }
            let base = node.name.isEmpty ? node.output[0] : node.name
            let key = "\(node.input[1])|\(form.transposed)"
            let weight: (name: String, scale: String, zero: String)
            if let existing = packed[key] {
                weight = existing
            } else {
                weight = Self.pack(form, name: node.input[1], range: weightRange, names: &names, graph: &graph)
                packed[key] = weight
            }
            func fresh(_ suffix: String) -> String { GraphEdit.unique("\(base)_\(suffix)", in: &names) }
            let (q, scale, zero) = (fresh("input_quantized"), fresh("input_scale"), fresh("input_zero_point"))
            let (product, asFloat, combined) = (fresh("MatMulInteger_Output"), fresh("Cast_Output"), fresh("scale"))
            let result = node.input.count > 2 && !node.input[2].isEmpty ? fresh("MatMul_Output") : node.output[0]
            nodes += [
                Onnx_NodeProto("DynamicQuantizeLinear", name: fresh("DynamicQuantizeLinear"), inputs: [node.input[0]], outputs: [q, scale, zero]),
                Onnx_NodeProto("MatMulInteger", name: fresh("MatMulInteger"), inputs: [q, weight.name, zero, weight.zero], outputs: [product]),
                Onnx_NodeProto(
                    "Cast", name: fresh("Cast"), inputs: [product], outputs: [asFloat],
                    attributes: [Onnx_AttributeProto(name: "to", int: Int(Onnx_TensorProto.floatType))]),
                Onnx_NodeProto("Mul", name: fresh("scale_Mul"), inputs: [scale, weight.scale], outputs: [combined]),
                Onnx_NodeProto("Mul", name: fresh("output_Mul"), inputs: [asFloat, combined], outputs: [result]),
            ]
            if result != node.output[0] {
                nodes.append(Onnx_NodeProto("Add", name: fresh("bias_Add"), inputs: [result, node.input[2]], outputs: [node.output[0]]))
            }
            quantized.append(label)
        }
        graph.node = nodes
        var model = file
        model.model.graph = graph
        GraphEdit.dropUnusedInitializers(&model.model.graph)
        return QDQQuantizer.Outcome(model: model, quantized: quantized, float: float, activationsFolded: 0)
    }

    /// A weight as [K, N] values (Gemm's transB undone), or `nil` when the node is not a MatMul
    /// or plain Gemm with a 2-D float initializer as its second input.
    struct WeightForm {
        var values: [Float]
        var rows: Int
        var columns: Int
        var transposed: Bool
    }

    static func weightForm(_ node: Onnx_NodeProto, _ initializers: [String: Onnx_TensorProto]) -> WeightForm? {
        guard node.domain.isEmpty, node.input.count >= 2, let tensor = initializers[node.input[1]], tensor.dims.count == 2,
            let values = tensor.floatValues, values.count == tensor.elementCount
        else { return nil }
        let (d0, d1) = (Int(tensor.dims[0]), Int(tensor.dims[1]))
        switch node.opType {
        case "MatMul":
            return WeightForm(values: values, rows: d0, columns: d1, transposed: false)
        case "Gemm":
            guard node.int("transA", default: 0) == 0, node.attribute("alpha").map({ $0.f == 1 }) ?? true,
                node.attribute("beta").map({ $0.f == 1 }) ?? true
            else { return nil }
            guard node.int("transB", default: 0) == 1 else { return WeightForm(values: values, rows: d0, columns: d1, transposed: false) }
            var transposed = [Float](repeating: 0, count: values.count)
            for row in 0..<d0 { for column in 0..<d1 { transposed[column * d0 + row] = values[row * d1 + column] } }
            return WeightForm(values: transposed, rows: d1, columns: d0, transposed: true)
        default:
            return nil
        }
    }

    /// Stores `form` as int8 [K, N] on `range` with one symmetric scale per column.
    private static func pack(
        _ form: WeightForm, name: String, range: WeightRange, names: inout Set<String>, graph: inout Onnx_GraphProto
    ) -> (name: String, scale: String, zero: String) {
        let (integers, scales) = QuantizationParameters.symmetricWeights(form.values, channels: form.columns, inner: 1, range: range)
        let stored = GraphEdit.unique(name + "_quantized", in: &names)
        let scale = GraphEdit.unique(name + "_scale", in: &names)
        let zero = GraphEdit.unique(name + "_zero_point", in: &names)
        graph.initializer += [
            Onnx_TensorProto(name: stored, dims: [form.rows, form.columns], values: integers),
            Onnx_TensorProto(name: scale, dims: [form.columns], values: scales),
            Onnx_TensorProto(name: zero, dims: [form.columns], values: [Int8](repeating: 0, count: form.columns)),
        ]
        return (stored, scale, zero)
    }
}
