internal import LedgeCore
package import LedgeONNXModel

/// Static quantization in the QDQ form ONNX Runtime writes and fuses into integer kernels:
/// every activation a quantized node reads or writes passes through a QuantizeLinear →
/// DequantizeLinear pair with the calibrated range; Conv, Gemm and MatMul weights are stored
/// as int8 per output channel (symmetric), their biases as int32 on the input scale × weight
/// scale. A ReLU, or a Clip with floor 0, right after a quantized node is dropped: the
/// quantization of its output, calibrated after the activation, clips the same way.
package struct QDQQuantizer {
    /// The operators quantized, and which of their inputs carry data (the rest are shapes, axes, bounds).
    static let dataInputs: [String: [Int]] = [
        "Conv": [0], "Gemm": [0], "MatMul": [0, 1], "Add": [0, 1], "Mul": [0, 1], "Concat": [],
        "MaxPool": [0], "AveragePool": [0], "GlobalAveragePool": [0], "Resize": [0], "Relu": [0], "Clip": [0],
        "Flatten": [0], "Reshape": [0], "Transpose": [0], "Squeeze": [0], "Unsqueeze": [0], "Softmax": [0],
    ]

    /// What the pass did.
    package struct Outcome: Sendable {
        package var model: ONNXModelFile
        /// `name (OpType)` of every node computed in integers.
        package var quantized: [String]
        /// `name (OpType)` of every node left in float.
        package var float: [String]
        /// Activations removed (folded into the quantization of their input's producer).
        package var activationsFolded: Int
    }

    let activationType: ActivationType
    let weightRange: WeightRange
    /// Node names and operator types left in float.
    let exclude: Set<String>

    package init(activationType: ActivationType, weightRange: WeightRange = .full, exclude: Set<String>) {
        self.activationType = activationType
        self.weightRange = weightRange
        self.exclude = exclude
    }

    /// The data inputs of `node` (every input for Concat).
    static func dataSlots(_ node: Onnx_NodeProto) -> [Int] {
        guard let slots = dataInputs[node.opType], node.domain.isEmpty else { return [] }
        return (node.opType == "Concat" ? Array(node.input.indices) : slots).filter { $0 < node.input.count && !node.input[$0].isEmpty }
    }

    func isCandidate(_ node: Onnx_NodeProto) -> Bool {
        Self.dataInputs[node.opType] != nil && node.domain.isEmpty && !exclude.contains(node.name) && !exclude.contains(node.opType)
    }

    /// The tensors to calibrate: every activation a candidate node reads as data or writes.
    package func calibrationTensors(_ graph: Onnx_GraphProto) -> [String] {
        let initializers = Set(graph.initializer.map(\.name))
        var seen = Set<String>()
        var names: [String] = []
        for node in graph.node where isCandidate(node) {
            for name in Self.dataSlots(node).map({ node.input[$0] }) + node.output
            where !initializers.contains(name) && !name.isEmpty && seen.insert(name).inserted {
                names.append(name)
            }
        }
        return names
    }

    /// Quantizes `file` (prepared, see ``ModelPreparation``) with the calibrated `ranges`.
    package func quantize(_ file: ONNXModelFile, ranges: [String: TensorRange]) throws -> Outcome {
        var graph = file.model.graph
        let initializers = GraphEdit.initializerIndex(graph)
        func isFloatInitializer(_ name: String) -> Bool { initializers[name]?.dataType == Onnx_TensorProto.floatType }
        // Nodes whose every data input is calibrated or a float constant, and whose outputs are calibrated.
        var quantized = Set<Int>()
        for (index, node) in graph.node.enumerated() where isCandidate(node) {
            let inputs = Self.dataSlots(node).map { node.input[$0] }
            guard !inputs.isEmpty, inputs.allSatisfy({ ranges[$0] != nil || isFloatInitializer($0) }),
                node.output.allSatisfy({ ranges[$0] != nil })
            else { continue }
            if ["Conv", "Gemm"].contains(node.opType), !(node.input.count > 1 && isFloatInitializer(node.input[1])) { continue }
            quantized.insert(index)
        }
        let folded = foldActivations(&graph, quantized: &quantized)

        var writer = QDQWriter(graph: graph, activationType: activationType, weightRange: weightRange, ranges: ranges)
        for index in quantized.sorted() {
            let node = graph.node[index]
            var rewired = node
            for slot in Self.dataSlots(node) {
                let name = node.input[slot]
                if let weightAxis = Self.weightAxis(node, slot: slot), isFloatInitializer(name) {
                    rewired.input[slot] = try writer.weight(name, axis: weightAxis, path: file.path)
                } else if isFloatInitializer(name) {
                    rewired.input[slot] = try writer.constant(name, path: file.path)
                } else {
                    rewired.input[slot] = writer.activation(name)
                }
            }
            if ["Conv", "Gemm"].contains(node.opType), node.input.count > 1 {
                rewired.input[1] = try writer.weight(node.input[1], axis: Self.weightAxis(node, slot: 1) ?? 0, path: file.path)
                // Gemm's bias stays float, as ONNX Runtime's quantizer leaves it (its C may be a matrix).
                if node.opType == "Conv", node.input.count > 2, !node.input[2].isEmpty, isFloatInitializer(node.input[2]),
                    let bias = try writer.bias(node.input[2], input: node.input[0], weight: node.input[1], path: file.path)
                {
                    rewired.input[2] = bias
                }
            }
            for output in node.output { writer.quantizeOutput(output) }
            writer.graph.node[index] = rewired
        }
        var model = file
        model.model.graph = writer.finish()
        GraphEdit.dropUnusedInitializers(&model.model.graph)
        let describe = { (node: Onnx_NodeProto) in "\(node.name.isEmpty ? node.output.first ?? "?" : node.name) (\(node.opType))" }
        return Outcome(
            model: model,
            quantized: quantized.sorted().map { describe(graph.node[$0]) },
            float: graph.node.indices.filter { !quantized.contains($0) }.map { describe(graph.node[$0]) },
            activationsFolded: folded)
    }

    /// The axis of the per-channel scales for a weight input: Conv's output channels, Gemm's
    /// N (transB picks where it is), MatMul's last axis; `nil` for inputs that are not weights.
    static func weightAxis(_ node: Onnx_NodeProto, slot: Int) -> Int? {
        switch (node.opType, slot) {
        case ("Conv", 1): return 0
        case ("Gemm", 1): return node.int("transB", default: 0) == 1 ? 0 : 1
        case ("MatMul", 1): return -1
        default: return nil
        }
    }

    /// Drops each ReLU (or Clip with floor 0) whose input comes from a quantized node that
    /// nothing else reads: the producer then writes the activation's output directly.
    private func foldActivations(_ graph: inout Onnx_GraphProto, quantized: inout Set<Int>) -> Int {
        let readers = GraphEdit.readers(graph)
        let outputs = Set(graph.output.map(\.name))
        let initializers = GraphEdit.initializerIndex(graph)
        var removed = Set<Int>()
        for index in quantized.sorted() {
            let node = graph.node[index]
            guard node.opType == "Relu" || (node.opType == "Clip" && Self.hasZeroFloor(node, initializers)) else { continue }
            let input = node.input[0]
            guard let producer = graph.node.firstIndex(where: { $0.output.contains(input) }), quantized.contains(producer),
                !removed.contains(producer), graph.node[producer].output.count == 1,
                readers[input, default: []] == [index], !outputs.contains(input)
            else { continue }
            graph.node[producer].output = [node.output[0]]
            removed.insert(index)
        }
        guard !removed.isEmpty else { return 0 }
        var renumbered = Set<Int>()
        var kept: [Onnx_NodeProto] = []
        for (index, node) in graph.node.enumerated() where !removed.contains(index) {
            if quantized.contains(index) { renumbered.insert(kept.count) }
            kept.append(node)
        }
        graph.node = kept
        quantized = renumbered
        return removed.count
    }

    private static func hasZeroFloor(_ node: Onnx_NodeProto, _ initializers: [String: Onnx_TensorProto]) -> Bool {
        guard node.input.count > 1, let floor = initializers[node.input[1]]?.floatValues, floor.count == 1 else { return false }
        return floor[0] == 0
    }
}
