#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

/// What Ledge reads from an ONNX file's protobuf itself, without the runtime:
/// versions, producer, operator counts and whether the graph is quantized.
public struct ONNXModelSummary: Sendable {
    /// `ModelProto.ir_version`.
    public var irVersion: Int64?
    /// `ModelProto.producer_name` and `producer_version`.
    public var producerName: String?
    public var producerVersion: String?
    /// Operator sets imported: domain (`ai.onnx` for the default) and version.
    public var opsets: [(domain: String, version: Int64)] = []
    /// Node op types × count in the main graph, in first-seen order.
    public var operators: [(name: String, count: Int)] = []
    /// `no` without any quantization; `yes` when all Conv/MatMul/Gemm work is
    /// quantized (QLinear*/…Integer ops, or fed by DequantizeLinear); else `partial`.
    public var quantized: QuantizedVerdict = .no

    /// Reads `data` as an ONNX `ModelProto` (its summary fields only: the generated
    /// `OnnxSummary_ModelSummary`); `nil` when it is not well-formed.
    public static func scan(_ data: Data) -> ONNXModelSummary? {
        guard let model = OnnxSummary_ModelSummary.decode(data) else { return nil }
        var summary = ONNXModelSummary()
        if model.hasIrVersion { summary.irVersion = model.irVersion }
        if model.hasProducerName { summary.producerName = model.producerName }
        if model.hasProducerVersion { summary.producerVersion = model.producerVersion }
        summary.opsets = model.opsetImport.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain, $0.version) }
        let graph = GraphScan(
            nodes: model.graph.node.map { GraphScan.Node(opType: $0.opType, inputs: $0.input, outputs: $0.output) },
            initializerTypes: model.graph.initializer.map { Int($0.dataType) })
        summary.operators = graph.operatorCounts()
        summary.quantized = graph.verdict()
        return summary
    }

    /// Puts the summary into `info`: operators, verdict and version properties.
    public func apply(to info: inout ModelInfo) {
        info.operators = operators
        info.quantized = quantized
        if let irVersion { info.metadata.properties["ir_version"] = String(irVersion) }
        if let producerVersion, !producerVersion.isEmpty { info.metadata.properties["producer_version"] = producerVersion }
        if info.metadata.properties["producer_name"] == nil, let producerName, !producerName.isEmpty {
            info.metadata.properties["producer_name"] = producerName
        }
        if !opsets.isEmpty {
            info.metadata.properties["opset_import"] = opsets.map { "\($0.domain):\($0.version)" }.joined(separator: ", ")
        }
    }
}

/// The nodes and initializer types of a `GraphProto`.
private struct GraphScan {
    struct Node {
        var opType: String
        var inputs: [String]
        var outputs: [String]
    }

    var nodes: [Node]
    /// TensorProto.data_type of each initializer.
    var initializerTypes: [Int]

    func operatorCounts() -> [(name: String, count: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for node in nodes {
            if counts[node.opType] == nil { order.append(node.opType) }
            counts[node.opType, default: 0] += 1
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }

    static func isQuantizedOp(_ op: String) -> Bool {
        op.hasPrefix("QLinear") || op.contains("Integer")
    }

    func verdict() -> QuantizedVerdict {
        let quantOps: Set<String> = ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"]
        let int8Types: Set<Int> = [2, 3]  // uint8, int8
        let anyQuantization =
            nodes.contains { quantOps.contains($0.opType) || Self.isQuantizedOp($0.opType) }
            || initializerTypes.contains { int8Types.contains($0) }
        guard anyQuantization else { return .no }
        var dequantized = Set<String>()
        for node in nodes where node.opType == "DequantizeLinear" { dequantized.formUnion(node.outputs) }
        let floatWork = nodes.filter { ["Conv", "MatMul", "Gemm", "ConvTranspose"].contains($0.opType) }
        let allQuantized = floatWork.allSatisfy { node in
            node.inputs.count >= 2 && node.inputs.prefix(2).allSatisfy { dequantized.contains($0) }
        }
        return allQuantized ? .yes : .partial
    }
}
