#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// Where the weights of an ONNX model's main graph lie in its bytes, read from the protobuf
/// wire format directly (no copy of the weights): `ModelProto.graph` (field 7) →
/// `GraphProto.initializer` (5) → `TensorProto` dims (1), data_type (2), name (8),
/// raw_data (9). Only tensors held whole in `raw_data` are listed: typed data fields,
/// segments and external data are left to the runtime.
struct ONNXInitializerScan {
    /// One initializer: its name, ONNX element type, dimensions, bytes in the model and the
    /// `TensorProto` message it is (its payload's range).
    struct Initializer: Equatable {
        var name: String
        var elementType: Int32
        var dims: [Int64]
        var bytes: Range<Int>
        var message: Range<Int>
    }

    /// The main graph's initializers of at least `minimumBytes` bytes, in file order; `nil` when
    /// `model` is not a well-formed protobuf down to the tensors read.
    static func initializers(in model: Data, minimumBytes: Int = 0) -> [Initializer]? {
        model.withUnsafeBytes { bytes -> [Initializer]? in
            var reader = WireReader(bytes: bytes, range: 0..<bytes.count)
            var graph: Range<Int>?
            while !reader.atEnd {
                guard let field = reader.next() else { return nil }
                if field.number == 7 {
                    guard graph == nil, case .bytes(let range) = field.value else { return nil }  // one graph, as written
                    graph = range
                }
            }
            guard let graph else { return nil }
            var graphReader = WireReader(bytes: bytes, range: graph)
            var found: [Initializer] = []
            while !graphReader.atEnd {
                guard let field = graphReader.next() else { return nil }
                guard field.number == 5 else { continue }
                guard case .bytes(let range) = field.value, let tensor = tensor(bytes, range) else { return nil }
                if let tensor, tensor.bytes.count >= minimumBytes { found.append(tensor) }
            }
            return found
        }
    }

    /// The initializer in `range`: `.some(nil)` when it is not one to share, `nil` when malformed.
    private static func tensor(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Initializer?? {
        var reader = WireReader(bytes: bytes, range: range)
        var dims: [Int64] = []
        var elementType: Int32?
        var name: String?
        var raw: Range<Int>?
        var whole = true
        while !reader.atEnd {
            guard let field = reader.next() else { return nil }
            switch (field.number, field.value) {
            case (1, .varint(let value)): dims.append(Int64(bitPattern: value))
            case (1, .bytes(let packed)):
                var values = WireReader(bytes: bytes, range: packed)
                while !values.atEnd {
                    guard let value = values.varint() else { return nil }
                    dims.append(Int64(bitPattern: value))
                }
            case (2, .varint(let value)): elementType = Int32(truncatingIfNeeded: value)
            case (8, .bytes(let text)): name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[text]), as: UTF8.self)
            case (9, .bytes(let data)): raw = data
            case (14, .varint(let location)): whole = whole && location == 0
            case (3, _), (4, _), (5, _), (6, _), (7, _), (10, _), (11, _), (13, _): whole = false
            default: break
            }
        }
        guard whole, let name, !name.isEmpty, let elementType, let raw,
            let size = elementSize(elementType), dims.allSatisfy({ $0 >= 0 })
        else { return .some(nil) }
        var count = 1
        for dim in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else { return .some(nil) }
            count = product
        }
        guard count > 0, count.multipliedReportingOverflow(by: size) == (raw.count, false) else { return .some(nil) }
        return Initializer(name: name, elementType: elementType, dims: dims, bytes: raw, message: range)
    }

    /// Bytes per element of the fixed-size ONNX element types (strings and 4-bit types are not shared).
    static func elementSize(_ type: Int32) -> Int? {
        switch type {
        case 2, 3, 9: return 1  // uint8, int8, bool
        case 4, 5, 10, 16: return 2  // uint16, int16, float16, bfloat16
        case 1, 6, 12: return 4  // float, int32, uint32
        case 7, 11, 13: return 8  // int64, double, uint64
        default: return nil
        }
    }
}
