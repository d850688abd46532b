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

    /// Reads `data` as an ONNX `ModelProto`; `nil` when it is not well-formed.
    public static func scan(_ data: Data) -> ONNXModelSummary? {
        data.withUnsafeBytes { raw in
            let reader = ProtobufReader(bytes: raw.bindMemory(to: UInt8.self))
            var summary = ONNXModelSummary()
            var graph = GraphScan()
            var sawGraph = false
            let ok = reader.forEachField(in: 0..<reader.bytes.count) { field in
                switch (field.number, field.wireType) {
                case (1, 0): summary.irVersion = Int64(truncatingIfNeeded: field.varint)
                case (2, 2): summary.producerName = reader.string(field.range)
                case (3, 2): summary.producerVersion = reader.string(field.range)
                case (7, 2):
                    sawGraph = true
                    return graph.read(reader, field.range)
                case (8, 2):
                    var domain = "", version: Int64 = 0
                    guard
                        reader.forEachField(
                            in: field.range,
                            { sub in
                                if sub.number == 1, sub.wireType == 2 { domain = reader.string(sub.range) }
                                if sub.number == 2, sub.wireType == 0 { version = Int64(truncatingIfNeeded: sub.varint) }
                                return true
                            })
                    else { return false }
                    summary.opsets.append((domain.isEmpty ? "ai.onnx" : domain, version))
                default: break
                }
                return true
            }
            guard ok, sawGraph else { return nil }
            summary.operators = graph.operatorCounts()
            summary.quantized = graph.verdict()
            return summary
        }
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
        var opType = ""
        var inputs: [String] = []
        var outputs: [String] = []
    }

    var nodes: [Node] = []
    /// TensorProto.data_type of each initializer.
    var initializerTypes: [Int] = []

    mutating func read(_ reader: ProtobufReader, _ range: Range<Int>) -> Bool {
        reader.forEachField(in: range) { field in
            guard field.wireType == 2 else { return true }
            switch field.number {
            case 1:  // node
                var node = Node()
                guard
                    reader.forEachField(
                        in: field.range,
                        { sub in
                            guard sub.wireType == 2 else { return true }
                            switch sub.number {
                            case 1: node.inputs.append(reader.string(sub.range))
                            case 2: node.outputs.append(reader.string(sub.range))
                            case 4: node.opType = reader.string(sub.range)
                            default: break
                            }
                            return true
                        })
                else { return false }
                nodes.append(node)
            case 5:  // initializer
                var dataType = 0
                guard
                    reader.forEachField(
                        in: field.range,
                        { sub in
                            if sub.number == 2, sub.wireType == 0 { dataType = Int(truncatingIfNeeded: sub.varint) }
                            return true
                        })
                else { return false }
                initializerTypes.append(dataType)
            default: break
            }
            return true
        }
    }

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
