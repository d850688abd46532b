internal import LedgeCore
internal import LedgeONNXModel

/// Writes the QuantizeLinear / DequantizeLinear nodes and the integer initializers of the QDQ
/// form into a graph, once per tensor however many nodes read it, and puts each pair right
/// after the node that produces its tensor so that the graph stays in topological order.
struct QDQWriter {
    var graph: Onnx_GraphProto
    let activationType: ActivationType
    let weightRange: WeightRange
    let ranges: [String: TensorRange]
    private var names: Set<String>
    private let initializers: [String: Onnx_TensorProto]
    private let graphOutputs: Set<String>
    /// Dequantized name of each activation with a pair.
    private var activations: [String: (output: String, parameters: QuantizationParameters)] = [:]
    /// Activations in the order their pairs were requested.
    private var pending: [String] = []
    /// Dequantized name and per-channel scales of each weight.
    private var weights: [String: (output: String, scales: [Float], axis: Int)] = [:]
    private var constants: [String: String] = [:]
    /// Nodes that only read initializers (the weights' DequantizeLinear): first in the graph.
    private var leading: [Onnx_NodeProto] = []

    init(graph: Onnx_GraphProto, activationType: ActivationType, weightRange: WeightRange, ranges: [String: TensorRange]) {
        self.graph = graph
        self.activationType = activationType
        self.weightRange = weightRange
        self.ranges = ranges
        self.names = GraphEdit.definedNames(graph)
        self.initializers = GraphEdit.initializerIndex(graph)
        self.graphOutputs = Set(graph.output.map(\.name))
    }

    /// The dequantized name of activation `name` (calibrated), adding its pair on first use.
    mutating func activation(_ name: String) -> String {
        if let existing = activations[name] { return existing.output }
        let parameters = QuantizationParameters(range: ranges[name] ?? TensorRange(min: 0, max: 0), type: activationType)
        let output = GraphEdit.unique(name + "_DequantizeLinear_Output", in: &names)
        activations[name] = (output, parameters)
        pending.append(name)
        return output
    }

    /// Gives the output `name` of a quantized node its pair, for whoever reads it next; the
    /// model's own outputs stay float.
    mutating func quantizeOutput(_ name: String) {
        if ranges[name] != nil, !graphOutputs.contains(name) { _ = activation(name) }
    }

    /// The dequantized name of float weight `name`, stored as int8 (on ``weightRange``) with one symmetric scale per
    /// slice along `axis` (negative counts from the end; per tensor for a scalar).
    mutating func weight(_ name: String, axis requested: Int, path: String) throws -> String {
        if let existing = weights[name] { return existing.output }
        guard let tensor = initializers[name], let values = tensor.floatValues, values.count == tensor.elementCount else {
            throw LedgeError.invalidModel("\(path): weight '\(name)': expected float values matching its dims")
        }
        let dims = tensor.dims.map(Int.init)
        let axis = dims.isEmpty ? 0 : (requested < 0 ? dims.count + requested : requested)
        let channels = dims.isEmpty ? 1 : dims[axis]
        let inner = dims.isEmpty ? 1 : dims[(axis + 1)...].reduce(1, *)
        let (quantized, scales) = QuantizationParameters.symmetricWeights(values, channels: channels, inner: inner, range: weightRange)
        let stored = GraphEdit.unique(name + "_quantized", in: &names)
        let scaleName = GraphEdit.unique(name + "_scale", in: &names)
        let zeroName = GraphEdit.unique(name + "_zero_point", in: &names)
        let scalar = dims.isEmpty || channels == 1 && dims.count <= 1
        graph.initializer += [
            Onnx_TensorProto(name: stored, dims: dims, values: quantized),
            Onnx_TensorProto(name: scaleName, dims: scalar ? [] : [channels], values: scalar ? [scales[0]] : scales),
            Onnx_TensorProto(name: zeroName, dims: scalar ? [] : [channels], values: [Int8](repeating: 0, count: scalar ? 1 : channels)),
        ]
        let output = GraphEdit.unique(name + "_DequantizeLinear_Output", in: &names)
        leading.append(
            Onnx_NodeProto(
                "DequantizeLinear", name: GraphEdit.unique(name + "_DequantizeLinear", in: &names),
                inputs: [stored, scaleName, zeroName], outputs: [output], attributes: scalar ? [] : [Onnx_AttributeProto(name: "axis", int: axis)]))
        weights[name] = (output, scales, axis)
        return output
    }

    /// The dequantized name of a float constant a quantized Add, Mul or Concat reads: per tensor,
    /// asymmetric over its own values, like an activation.
    mutating func constant(_ name: String, path: String) throws -> String {
        if let existing = constants[name] { return existing }
        guard let tensor = initializers[name], let values = tensor.floatValues, !values.isEmpty else {
            throw LedgeError.invalidModel("\(path): constant '\(name)': expected float values")
        }
        let range = TensorRange(min: values.min() ?? 0, max: values.max() ?? 0)
        let parameters = QuantizationParameters(range: range, type: activationType)
        let (low, high) = activationType.levels
        let integers = values.map { parameters.quantize($0, low: low, high: high) }
        let stored = GraphEdit.unique(name + "_quantized", in: &names)
        let dims = tensor.dims.map(Int.init)
        graph.initializer.append(
            activationType == .uint8
                ? Onnx_TensorProto(name: stored, dims: dims, values: integers.map { UInt8($0) })
                : Onnx_TensorProto(name: stored, dims: dims, values: integers.map { Int8($0) }))
        let (scaleName, zeroName) = parameterInitializers(for: name, parameters)
        let output = GraphEdit.unique(name + "_DequantizeLinear_Output", in: &names)
        leading.append(
            Onnx_NodeProto(
                "DequantizeLinear", name: GraphEdit.unique(name + "_DequantizeLinear", in: &names),
                inputs: [stored, scaleName, zeroName], outputs: [output]))
        constants[name] = output
        return output
    }

    /// The dequantized name of a float bias, stored as int32 on the scale input scale × weight
    /// scale (per channel), zero point 0; `nil` (left in float) when the scales are unknown.
    mutating func bias(_ name: String, input: String, weight: String, path: String) throws -> String? {
        guard let inputParameters = activations[input]?.parameters, let weightScales = weights[weight]?.scales,
            let tensor = initializers[name], let values = tensor.floatValues, tensor.dims.count == 1
        else { return nil }
        let scales = values.indices.map { inputParameters.scale * weightScales[weightScales.count == 1 ? 0 : min($0, weightScales.count - 1)] }
        let integers = zip(values, scales).map { value, scale in Int32((value / scale).rounded().clamped(-2_147_483_520, 2_147_483_520)) }
        let stored = GraphEdit.unique(name + "_quantized", in: &names)
        let scaleName = GraphEdit.unique(name + "_scale", in: &names)
        let zeroName = GraphEdit.unique(name + "_zero_point", in: &names)
        graph.initializer += [
            Onnx_TensorProto(name: stored, dims: [values.count], values: integers),
            Onnx_TensorProto(name: scaleName, dims: [values.count], values: scales),
            Onnx_TensorProto(name: zeroName, dims: [values.count], values: [Int32](repeating: 0, count: values.count)),
        ]
        let output = GraphEdit.unique(name + "_DequantizeLinear_Output", in: &names)
        leading.append(
            Onnx_NodeProto(
                "DequantizeLinear", name: GraphEdit.unique(name + "_DequantizeLinear", in: &names),
                inputs: [stored, scaleName, zeroName], outputs: [output], attributes: [Onnx_AttributeProto(name: "axis", int: 0)]))
        return output
    }

    private mutating func parameterInitializers(for name: String, _ parameters: QuantizationParameters) -> (String, String) {
        let scaleName = GraphEdit.unique(name + "_scale", in: &names)
        let zeroName = GraphEdit.unique(name + "_zero_point", in: &names)
        graph.initializer.append(Onnx_TensorProto(name: scaleName, dims: [], values: [parameters.scale]))
        graph.initializer.append(
            activationType == .uint8
                ? Onnx_TensorProto(name: zeroName, dims: [], values: [UInt8(parameters.zeroPoint)])
                : Onnx_TensorProto(name: zeroName, dims: [], values: [Int8(parameters.zeroPoint)]))
        return (scaleName, zeroName)
    }

    /// The graph with every pair in place: the weights' and constants' dequantization first, the
    /// graph inputs' pairs next, then each node followed by the pairs of its outputs.
    mutating func finish() -> Onnx_GraphProto {
        var pairs: [String: [Onnx_NodeProto]] = [:]
        for name in pending {
            guard let (output, parameters) = activations[name] else { continue }
            let (scaleName, zeroName) = parameterInitializers(for: name, parameters)
            let quantized = GraphEdit.unique(name + "_QuantizeLinear_Output", in: &names)
            pairs[name] = [
                Onnx_NodeProto(
                    "QuantizeLinear", name: GraphEdit.unique(name + "_QuantizeLinear", in: &names),
                    inputs: [name, scaleName, zeroName], outputs: [quantized]),
                Onnx_NodeProto(
                    "DequantizeLinear", name: GraphEdit.unique(name + "_DequantizeLinear", in: &names),
                    inputs: [quantized, scaleName, zeroName], outputs: [output]),
            ]
        }
        var nodes = leading
        for input in graph.input { nodes += pairs.removeValue(forKey: input.name) ?? [] }
        for node in graph.node {
            nodes.append(node)
            for output in node.output { nodes += pairs.removeValue(forKey: output) ?? [] }
        }
        graph.node = nodes
        return graph
    }
}
