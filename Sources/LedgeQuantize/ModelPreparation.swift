#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
package import LedgeONNXModel

/// What `ledge quantize` does to a model before it quantizes it, as ONNX Runtime's
/// `quant_pre_process` and version converter would have to be asked to: exported models come
/// with their weights in `Constant` nodes (Paddle) and at opsets older than the QDQ form needs.
///
/// 1. `Constant` nodes become initializers (the quantizer only quantizes initializers).
/// 2. Opsets 11 and 12 are raised to 13 (per-channel `DequantizeLinear` needs 13); the seven
///    operators whose signature changed are rewritten, everything else is unchanged.
/// 3. `BatchNormalization` after a `Conv` whose output nothing else reads is folded into the
///    convolution's weights and bias.
/// 4. An `Add` of a per-channel constant after a `Conv` becomes the convolution's bias.
/// 5. Initializers nothing reads any more are dropped.
package struct ModelPreparation: Sendable {
    /// The opset the QDQ form is written at.
    package static let targetOpset = 13

    /// What was changed, for the report.
    package struct Summary: Sendable, Equatable {
        package var constantsFolded = 0
        package var opsetFrom: Int?
        package var batchNormsFolded = 0
        /// `Conv → Add(constant per channel)` pairs made one Conv with that bias (Paddle writes the bias so).
        package var biasesFolded = 0
    }

    /// Prepares `file` in place.
    package static func prepare(_ file: inout ONNXModelFile) throws -> Summary {
        var summary = Summary()
        var graph = file.model.graph
        summary.constantsFolded = try foldConstants(&graph, path: file.path)
        let opset = file.opsetVersion ?? 0
        if opset < targetOpset {
            guard opset >= 11 else {
                throw LedgeError.invalidModel(
                    "\(file.path): opset \(opset): expected 11 or later (ledge quantize raises 11 and 12 to 13; convert older models with onnx.version_converter first)"
                )
            }
            try OpsetRaise.raise(&graph, path: file.path)
            summary.opsetFrom = opset
            for index in file.model.opsetImport.indices where file.model.opsetImport[index].domain.isEmpty {
                file.model.opsetImport[index].version = Int64(targetOpset)
            }
            file.model.irVersion = max(file.model.irVersion, 7)
        }
        summary.batchNormsFolded = try foldBatchNorms(&graph, path: file.path)
        summary.biasesFolded = foldBiasAdds(&graph)
        GraphEdit.dropUnusedInitializers(&graph)
        file.model.graph = graph
        return summary
    }

    /// Turns every `Constant` node into an initializer of the same name.
    static func foldConstants(_ graph: inout Onnx_GraphProto, path: String) throws -> Int {
        var kept: [Onnx_NodeProto] = []
        var folded = 0
        for node in graph.node {
            guard node.opType == "Constant", node.domain.isEmpty, node.output.count == 1 else {
                kept.append(node)
                continue
            }
            guard var tensor = constantValue(node) else {
                kept.append(node)  // sparse or string values: left as they are
                continue
            }
            tensor.name = node.output[0]
            graph.initializer.append(tensor)
            folded += 1
        }
        graph.node = kept
        return folded + foldConstantReshapes(&graph)
    }

    /// Replaces each Reshape of a constant by a constant shape with the reshaped initializer
    /// (Paddle writes each convolution's bias as such a Reshape).
    static func foldConstantReshapes(_ graph: inout Onnx_GraphProto) -> Int {
        var initializers = GraphEdit.initializerIndex(graph)
        var kept: [Onnx_NodeProto] = []
        var folded = 0
        for node in graph.node {
            guard node.opType == "Reshape", node.domain.isEmpty, node.input.count == 2, node.output.count == 1,
                node.int("allowzero", default: 0) == 0, var tensor = initializers[node.input[0]],
                let requested = initializers[node.input[1]]?.integerValues,
                let dims = Self.reshaped(tensor.dims.map(Int.init), to: requested.map(Int.init))
            else {
                kept.append(node)
                continue
            }
            tensor.name = node.output[0]
            tensor.dims = dims.map(Int64.init)
            graph.initializer.append(tensor)
            initializers[tensor.name] = tensor
            folded += 1
        }
        graph.node = kept
        return folded
    }

    /// Reshape's output dims (0 copies the input's dim, one -1 is inferred), `nil` when they do not fit.
    static func reshaped(_ dims: [Int], to requested: [Int]) -> [Int]? {
        let count = dims.reduce(1, *)
        var result = requested.enumerated().map { index, value in value == 0 && index < dims.count ? dims[index] : value }
        let known = result.filter { $0 != -1 }.reduce(1, *)
        if let unknown = result.firstIndex(of: -1) {
            guard result.filter({ $0 == -1 }).count == 1, known > 0, count % known == 0 else { return nil }
            result[unknown] = count / known
        }
        return result.allSatisfy({ $0 >= 0 }) && result.reduce(1, *) == count ? result : nil
    }

    private static func constantValue(_ node: Onnx_NodeProto) -> Onnx_TensorProto? {
        guard let attribute = node.attribute.first else { return nil }
        switch attribute.name {
        case "value" where attribute.hasT: return attribute.t
        case "value_float": return Onnx_TensorProto(name: "", dims: [], values: [attribute.f])
        case "value_floats": return Onnx_TensorProto(name: "", dims: [attribute.floats.count], values: attribute.floats)
        case "value_int": return Onnx_TensorProto(name: "", dims: [], values: [attribute.i])
        case "value_ints": return Onnx_TensorProto(name: "", dims: [attribute.ints.count], values: attribute.ints)
        default: return nil
        }
    }

    /// Folds `Conv → BatchNormalization` pairs: W' = W·γ/√(σ²+ε) per output channel,
    /// b' = (b − μ)·γ/√(σ²+ε) + β.
    static func foldBatchNorms(_ graph: inout Onnx_GraphProto, path: String) throws -> Int {
        var initializers = GraphEdit.initializerIndex(graph)
        var names = GraphEdit.definedNames(graph)
        let readers = GraphEdit.readers(graph)
        let outputs = Set(graph.output.map(\.name))
        var removed = Set<Int>()
        var folded = 0
        for (index, node) in graph.node.enumerated() where node.opType == "BatchNormalization" && node.input.count == 5 {
            guard let producerIndex = graph.node.firstIndex(where: { $0.output.first == node.input[0] }),
                graph.node[producerIndex].opType == "Conv", node.output.count == 1,
                readers[node.input[0], default: []].count == 1, !outputs.contains(node.input[0])
            else { continue }
            let conv = graph.node[producerIndex]
            guard conv.input.count >= 2, let weights = initializers[conv.input[1]], var w = weights.floatValues,
                let gamma = initializers[node.input[1]]?.floatValues, let beta = initializers[node.input[2]]?.floatValues,
                let mean = initializers[node.input[3]]?.floatValues, let variance = initializers[node.input[4]]?.floatValues
            else { continue }
            let channels = Int(weights.dims.first ?? 0)
            guard channels > 0, [gamma, beta, mean, variance].allSatisfy({ $0.count == channels }), w.count % channels == 0 else { continue }
            var bias = [Float](repeating: 0, count: channels)
            if conv.input.count >= 3, !conv.input[2].isEmpty {
                guard let b = initializers[conv.input[2]]?.floatValues, b.count == channels else { continue }
                bias = b
            }
            let epsilon = node.attribute("epsilon").map { $0.f } ?? 1e-5
            let perChannel = w.count / channels
            for c in 0..<channels {
                let factor = gamma[c] / (variance[c] + epsilon).squareRoot()
                for k in 0..<perChannel { w[c * perChannel + k] *= factor }
                bias[c] = (bias[c] - mean[c]) * factor + beta[c]
            }
            let weightName = GraphEdit.unique("\(conv.input[1])_bn", in: &names)
            let biasName = GraphEdit.unique("\(conv.name.isEmpty ? conv.output[0] : conv.name)_bias_bn", in: &names)
            let newWeights = Onnx_TensorProto(name: weightName, dims: weights.dims.map(Int.init), values: w)
            let newBias = Onnx_TensorProto(name: biasName, dims: [channels], values: bias)
            graph.initializer += [newWeights, newBias]
            initializers[weightName] = newWeights
            initializers[biasName] = newBias
            var fused = conv
            fused.input = [conv.input[0], weightName, biasName]
            fused.output = [node.output[0]]
            graph.node[producerIndex] = fused
            removed.insert(index)
            folded += 1
        }
        graph.node = graph.node.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return folded
    }

    /// Folds `Conv → Add(c)` where c holds one value per output channel of a 2-D convolution
    /// ([C,1,1] or [1,C,1,1]) and nothing else reads the convolution's output: c is added to the bias.
    static func foldBiasAdds(_ graph: inout Onnx_GraphProto) -> Int {
        var initializers = GraphEdit.initializerIndex(graph)
        var names = GraphEdit.definedNames(graph)
        let readers = GraphEdit.readers(graph)
        let outputs = Set(graph.output.map(\.name))
        var removed = Set<Int>()
        for (index, node) in graph.node.enumerated() where node.opType == "Add" && node.domain.isEmpty && node.input.count == 2 {
            for (data, constant) in [(0, 1), (1, 0)] {
                guard let producer = graph.node.firstIndex(where: { $0.output.first == node.input[data] }),
                    graph.node[producer].opType == "Conv", graph.node[producer].output.count == 1,
                    readers[node.input[data], default: []].count == 1, !outputs.contains(node.input[data]),
                    let weights = initializers[graph.node[producer].input.count > 1 ? graph.node[producer].input[1] : ""],
                    let channels = weights.dims.first.map(Int.init),
                    let addend = initializers[node.input[constant]], let values = addend.floatValues, values.count == channels,
                    [[Int64(channels), 1, 1], [1, Int64(channels), 1, 1]].contains(addend.dims)
                else { continue }
                var conv = graph.node[producer]
                var bias = [Float](repeating: 0, count: channels)
                if conv.input.count > 2, !conv.input[2].isEmpty {
                    guard let existing = initializers[conv.input[2]]?.floatValues, existing.count == channels else { continue }
                    bias = existing
                }
                for c in 0..<channels { bias[c] += values[c] }
                let name = GraphEdit.unique("\(conv.name.isEmpty ? conv.output[0] : conv.name)_bias", in: &names)
                let tensor = Onnx_TensorProto(name: name, dims: [channels], values: bias)
                graph.initializer.append(tensor)
                initializers[name] = tensor
                while conv.input.count < 3 { conv.input.append("") }
                conv.input[2] = name
                conv.output = [node.output[0]]
                graph.node[producer] = conv
                removed.insert(index)
                break
            }
        }
        graph.node = graph.node.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return removed.count
    }
}
