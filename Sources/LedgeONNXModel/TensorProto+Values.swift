#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Element access and construction for the tensors the quantizer reads (float weights, int64
/// shapes) and writes (int8 weights, int32 biases, scales and zero points). Raw data is
/// little-endian, as the format says and as every platform Ledge runs on is.
extension Onnx_TensorProto {
    /// The ONNX element types Ledge reads and writes.
    package static let floatType = Int32(DataType.float.rawValue)
    package static let uint8Type = Int32(DataType.uint8.rawValue)
    package static let int8Type = Int32(DataType.int8.rawValue)
    package static let int32Type = Int32(DataType.int32.rawValue)
    package static let int64Type = Int32(DataType.int64.rawValue)

    /// The number of elements its dims describe.
    package var elementCount: Int { dims.reduce(1) { $0 * Int($1) } }

    /// The elements of a float tensor, `nil` for another type.
    package var floatValues: [Float]? {
        guard dataType == Self.floatType else { return nil }
        if hasRawData { return Self.values(rawData, as: Float.self) }
        return floatData
    }

    /// The elements of an integer tensor (int64, int32, int8, uint8) as Int64, `nil` for another type.
    package var integerValues: [Int64]? {
        switch dataType {
        case Self.int64Type: return hasRawData ? Self.values(rawData, as: Int64.self) : int64Data
        case Self.int32Type: return hasRawData ? Self.values(rawData, as: Int32.self).map(Int64.init) : int32Data.map(Int64.init)
        case Self.int8Type: return hasRawData ? Self.values(rawData, as: Int8.self).map(Int64.init) : int32Data.map(Int64.init)
        case Self.uint8Type: return hasRawData ? Self.values(rawData, as: UInt8.self).map(Int64.init) : int32Data.map(Int64.init)
        default: return nil
        }
    }

    /// A tensor named `name` of `dims` holding `values` (Float, Int8, UInt8, Int32 or Int64) as raw data.
    package init<Element: BitwiseCopyable>(name: String, dims: [Int], values: [Element]) {
        self.init()
        self.name = name
        self.dims = dims.map(Int64.init)
        switch Element.self {
        case is Float.Type: dataType = Self.floatType
        case is Int8.Type: dataType = Self.int8Type
        case is UInt8.Type: dataType = Self.uint8Type
        case is Int32.Type: dataType = Self.int32Type
        default: dataType = Self.int64Type
        }
        rawData = values.withUnsafeBytes { Data($0) }
    }

    private static func values<Element: BitwiseCopyable>(_ data: Data, as type: Element.Type) -> [Element] {
        let count = data.count / MemoryLayout<Element>.stride
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: bytes[0..<count * MemoryLayout<Element>.stride]))
            }
            initialized = count
        }
    }
}

extension Onnx_AttributeProto {
    /// An INT attribute.
    package init(name: String, int value: Int) {
        self.init()
        self.name = name
        self.type = .int
        self.i = Int64(value)
    }

    /// An INTS attribute.
    package init(name: String, ints values: [Int]) {
        self.init()
        self.name = name
        self.type = .ints
        self.ints = values.map(Int64.init)
    }
}

extension Onnx_NodeProto {
    /// A node of `opType` in the default domain.
    package init(_ opType: String, name: String, inputs: [String], outputs: [String], attributes: [Onnx_AttributeProto] = []) {
        self.init()
        self.opType = opType
        self.name = name
        self.input = inputs
        self.output = outputs
        self.attribute = attributes
    }

    /// The attribute called `name`, if the node has it.
    package func attribute(_ name: String) -> Onnx_AttributeProto? { attribute.first { $0.name == name } }

    /// An INT attribute's value, else `fallback`.
    package func int(_ name: String, default fallback: Int) -> Int { attribute(name).map { Int($0.i) } ?? fallback }
}
