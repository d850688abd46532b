import Foundation

/// A minimal flatbuffer writer for tests: lays tables out front to back (children
/// after their parents, vtables just before their tables). Enough to write small
/// TFLite models by hand.
indirect enum FBNode {
    case table([FBField?])
    case tables([FBNode])
    case string(String)
    case int32s([Int32])

    /// The whole buffer with `self` as root and `identifier` at bytes 4–7.
    func serialized(identifier: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 8)
        out.replaceSubrange(4..<8, with: Array(identifier.utf8))
        let root = write(into: &out)
        FBNode.patch(&out, at: 0, UInt32(root))
        return out
    }

    private static func patch(_ out: inout [UInt8], at: Int, _ value: UInt32) {
        for i in 0..<4 { out[at + i] = UInt8((value >> (8 * UInt32(i))) & 0xFF) }
    }

    private static func append32(_ out: inout [UInt8], _ value: UInt32) {
        for i in 0..<4 { out.append(UInt8((value >> (8 * UInt32(i))) & 0xFF)) }
    }

    private static func align(_ out: inout [UInt8]) {
        while out.count % 4 != 0 { out.append(0) }
    }

    /// Writes `self` at the end of `out`, returning its position.
    func write(into out: inout [UInt8]) -> Int {
        FBNode.align(&out)
        switch self {
        case .string(let s):
            let pos = out.count
            FBNode.append32(&out, UInt32(s.utf8.count))
            out += Array(s.utf8) + [0]
            return pos
        case .int32s(let values):
            let pos = out.count
            FBNode.append32(&out, UInt32(values.count))
            for v in values { FBNode.append32(&out, UInt32(bitPattern: v)) }
            return pos
        case .tables(let nodes):
            let pos = out.count
            FBNode.append32(&out, UInt32(nodes.count))
            let slots = out.count
            for _ in nodes { FBNode.append32(&out, 0) }
            for (i, node) in nodes.enumerated() {
                let child = node.write(into: &out)
                FBNode.patch(&out, at: slots + 4 * i, UInt32(child - (slots + 4 * i)))
            }
            return pos
        case .table(let fields):
            let vtable = out.count
            let vtableSize = 4 + 2 * fields.count
            let tableSize = 4 + 4 * fields.count
            out += [UInt8(vtableSize & 0xFF), UInt8(vtableSize >> 8), UInt8(tableSize & 0xFF), UInt8(tableSize >> 8)]
            for (i, field) in fields.enumerated() {
                let offset = field == nil ? 0 : 4 + 4 * i
                out += [UInt8(offset & 0xFF), UInt8(offset >> 8)]
            }
            FBNode.align(&out)
            let table = out.count
            FBNode.append32(&out, UInt32(table - vtable))
            var references: [(slot: Int, node: FBNode)] = []
            for field in fields {
                let slot = out.count
                switch field {
                case .none, .u8(0): FBNode.append32(&out, 0)
                case .u8(let v): out += [v, 0, 0, 0]
                case .u32(let v): FBNode.append32(&out, v)
                case .ref(let node):
                    FBNode.append32(&out, 0)
                    references.append((slot, node))
                }
            }
            for (slot, node) in references {
                let child = node.write(into: &out)
                FBNode.patch(&out, at: slot, UInt32(child - slot))
            }
            return table
        }
    }
}

enum FBField {
    case u8(UInt8)
    case u32(UInt32)
    case ref(FBNode)
}

enum TinyModels {
    /// `sum = a + b`, float32 tensors of shape [1, 4] with shape_signature [-1, 4].
    static func dynamicAdd() -> Data {
        func tensor(_ name: String) -> FBNode {
            // shape, type (FLOAT32 = 0), buffer 0, name, quantization, is_variable, sparsity, shape_signature
            .table([.ref(.int32s([1, 4])), .u8(0), .u32(0), .ref(.string(name)), nil, nil, nil, .ref(.int32s([-1, 4]))])
        }
        let addOperator = FBNode.table([.u32(0), .ref(.int32s([0, 1])), .ref(.int32s([2]))])
        let subgraph = FBNode.table([
            .ref(.tables([tensor("a"), tensor("b"), tensor("sum")])),
            .ref(.int32s([0, 1])), .ref(.int32s([2])), .ref(.tables([addOperator])), .ref(.string("main")),
        ])
        // deprecated_builtin_code ADD = 0, custom_code, version 1, builtin_code ADD = 0
        let opcode = FBNode.table([.u8(0), nil, .u32(1), .u32(0)])
        let model = FBNode.table([
            .u32(3), .ref(.tables([opcode])), .ref(.tables([subgraph])), .ref(.string("tiny add")),
            .ref(.tables([.table([])])),
        ])
        return Data(model.serialized(identifier: "TFL3"))
    }
}
