import Foundation

/// Writes protobuf wire format: just enough to build small ONNX models in tests.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func int(_ field: Int, _ value: Int64) {
        varint(UInt64(field << 3))
        varint(UInt64(bitPattern: value))
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        varint(UInt64(field << 3 | 2))
        varint(UInt64(data.count))
        bytes += data
    }

    mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
}

/// A node of a test graph.
struct TestNode {
    var op: String
    var inputs: [String]
    var outputs: [String]
}

/// Builds an ONNX ModelProto.
struct ONNXBuilder {
    var nodes: [TestNode] = []
    /// Graph inputs/outputs: name, ONNX elem_type, dims (-1 = dynamic "N").
    var inputs: [(String, Int, [Int])] = []
    var outputs: [(String, Int, [Int])] = []
    /// Initializers: name, ONNX data_type, raw bytes.
    var initializers: [(String, Int, [UInt8])] = []
    var metadata: [(String, String)] = []
    var graphName = "test_graph"
    var docString = ""
    var modelVersion: Int64 = 0
    var opset: Int64 = 13

    func data() -> Data {
        var model = ProtoWriter()
        model.int(1, 8)  // ir_version
        model.string(2, "ledge-tests")
        model.string(3, "0.1")
        model.string(4, "ai.ledge")
        if modelVersion != 0 { model.int(5, modelVersion) }
        if !docString.isEmpty { model.string(6, docString) }
        model.message(7) { graph in
            for node in nodes {
                graph.message(1) { n in
                    node.inputs.forEach { n.string(1, $0) }
                    node.outputs.forEach { n.string(2, $0) }
                    n.string(4, node.op)
                }
            }
            graph.string(2, graphName)
            for (name, type, raw) in initializers {
                graph.message(5) { t in
                    t.int(1, Int64(raw.count))
                    t.int(2, Int64(type))
                    t.string(8, name)
                    t.bytes(9, raw)
                }
            }
            for (name, type, dims) in inputs { graph.message(11) { Self.valueInfo(&$0, name, type, dims) } }
            for (name, type, dims) in outputs { graph.message(12) { Self.valueInfo(&$0, name, type, dims) } }
        }
        model.message(8) {
            $0.string(1, ""); $0.int(2, opset)
        }
        for (key, value) in metadata {
            model.message(14) {
                $0.string(1, key); $0.string(2, value)
            }
        }
        return Data(model.bytes)
    }

    private static func valueInfo(_ w: inout ProtoWriter, _ name: String, _ type: Int, _ dims: [Int]) {
        w.string(1, name)
        w.message(2) { typeProto in
            typeProto.message(1) { tensor in
                tensor.int(1, Int64(type))
                tensor.message(2) { shape in
                    for d in dims { shape.message(1) { d < 0 ? $0.string(2, "N") : $0.int(1, Int64(d)) } }
                }
            }
        }
    }

    /// `sum = a + b` over float32 [N, 4], with the given metadata.
    static func add(metadata: [(String, String)] = []) -> ONNXBuilder {
        var builder = ONNXBuilder()
        builder.nodes = [TestNode(op: "Add", inputs: ["a", "b"], outputs: ["sum"])]
        builder.inputs = [("a", 1, [-1, 4]), ("b", 1, [-1, 4])]
        builder.outputs = [("sum", 1, [-1, 4])]
        builder.metadata = metadata
        return builder
    }
}
