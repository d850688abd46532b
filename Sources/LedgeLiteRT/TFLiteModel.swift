#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

/// The structure of a `.tflite` flatbuffer, read and validated without a runtime.
///
/// ``TFLiteModel/init(data:path:)`` checks every offset, vector and index it
/// follows, so a truncated or corrupt file throws
/// `LedgeError.invalidModel("<path>: truncated or corrupt TFLite model (<what>)")`
/// instead of reaching LiteRT.
public struct TFLiteModel: Sendable {
    /// An entry of `operator_codes`.
    public struct OperatorCode: Sendable, Hashable {
        public var builtinCode: Int32
        public var deprecatedBuiltinCode: Int8
        public var customCode: String?
        /// The operator's version (1 when the file leaves it out).
        public var version: Int32 = 1
        /// The operator's name: the builtin name (`CONV_2D`, …) or the custom code.
        public var name: String {
            if let customCode, builtinCode == 32 || deprecatedBuiltinCode == 32 { return customCode }
            return BuiltinOperators.name(max(builtinCode, Int32(deprecatedBuiltinCode)))
        }
    }

    /// A tensor of a subgraph.
    public struct TensorInfo: Sendable, Hashable {
        public var name: String
        /// The raw `TensorType` value.
        public var type: Int8
        public var shape: [Int]
        /// `shape_signature` when present (-1 = dynamic), else ``shape``.
        public var shapeSignature: [Int]
        public var buffer: Int
        public var quantization: Quantization?
        /// The Ledge dtype, `nil` for types Ledge does not handle (string, complex, int4, …).
        public var dtype: DType? { TFLiteModel.dtype(ofTensorType: type) }
    }

    public struct Subgraph: Sendable {
        public var name: String?
        public var tensors: [TensorInfo]
        public var inputs: [Int]
        public var outputs: [Int]
        /// Each operator's `opcode_index`.
        public var operatorCodeIndices: [Int]
    }

    /// Where a buffer's bytes are in the file: inline `data` or `offset`/`size` for large models.
    public struct BufferRange: Sendable, Hashable {
        public var offset: Int
        public var size: Int
    }

    public struct SignatureDef: Sendable {
        public var key: String
        public var subgraphIndex: Int
        public var inputs: [(name: String, tensorIndex: Int)]
        public var outputs: [(name: String, tensorIndex: Int)]
    }

    public var version: UInt32
    public var description: String?
    public var operatorCodes: [OperatorCode]
    public var subgraphs: [Subgraph]
    public var buffers: [BufferRange]
    /// `metadata` entries: name → buffer index.
    public var metadata: [(name: String, buffer: Int)]
    public var signatureDefs: [SignatureDef]

    init(
        version: UInt32, description: String?, operatorCodes: [OperatorCode], subgraphs: [Subgraph],
        buffers: [BufferRange], metadata: [(name: String, buffer: Int)], signatureDefs: [SignatureDef]
    ) {
        self.version = version
        self.description = description
        self.operatorCodes = operatorCodes
        self.subgraphs = subgraphs
        self.buffers = buffers
        self.metadata = metadata
        self.signatureDefs = signatureDefs
    }

    /// Reads and validates `data`, naming `path` in errors.
    public init(data: Data, path: String) throws {
        do {
            self = try Self.read(FlatBuffer([UInt8](data)))
        } catch let error as FlatBufferError {
            throw LedgeError.invalidModel("\(path): truncated or corrupt TFLite model (\(error.what))")
        } catch let error as TFLiteValidationError {
            throw LedgeError.invalidModel("\(path): \(error.what)")
        }
    }

    /// The bytes of buffer `index` in `data`, or nil when empty or out of range.
    public func bufferBytes(_ index: Int, in data: Data) -> Data? {
        guard buffers.indices.contains(index) else { return nil }
        let range = buffers[index]
        guard range.size > 0, range.offset >= 0, range.offset + range.size <= data.count else { return nil }
        let start = data.startIndex + range.offset
        return data[start..<start + range.size]
    }

    /// The buffer named `name` in the model's `metadata`.
    public func metadataBytes(_ name: String, in data: Data) -> Data? {
        guard let entry = metadata.first(where: { $0.name == name }) else { return nil }
        return bufferBytes(entry.buffer, in: data)
    }

    /// Operator name × count over all subgraphs, in first-seen order.
    public var operatorSummary: [(name: String, count: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for subgraph in subgraphs {
            for index in subgraph.operatorCodeIndices {
                let name = operatorCodes[index].name
                if counts[name] == nil { order.append(name) }
                counts[name, default: 0] += 1
            }
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }

    /// `no` without int8/uint8/int16 quantized tensors, `yes` without float tensors, else `partial`.
    public var quantizedVerdict: QuantizedVerdict {
        let tensors = subgraphs.flatMap(\.tensors)
        let quantized = tensors.contains { [9, 3, 7].contains($0.type) && $0.quantization != nil }
        let float = tensors.contains { [0, 1, 10, 18].contains($0.type) }
        if !quantized { return .no }
        return float ? .partial : .yes
    }

    /// Maps a TFLite `TensorType` value to a Ledge dtype.
    public static func dtype(ofTensorType type: Int8) -> DType? {
        switch type {
        case 0: return .float32
        case 1: return .float16
        case 2: return .int32
        case 3: return .uint8
        case 4: return .int64
        case 6: return .bool
        case 7: return .int16
        case 9: return .int8
        case 10: return .float64
        case 12: return .uint64
        case 15: return .uint32
        case 16: return .uint16
        default: return nil
        }
    }
}
