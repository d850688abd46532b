#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

/// Tensors from and to the V2 protocol: JSON `data` (flat or nested) and raw
/// little-endian bytes of the binary tensor data extension.
package enum TensorCoding {
    /// Fills a tensor of `dtype` and `shape` (of `count` elements, checked by
    /// ``ShapeArithmetic``) from JSON `data` of input `name`; the values are
    /// counted before the tensor is allocated.
    package static func tensor(name: String, dtype: DType, shape: [Int], count expected: Int, data: JSONValue) throws -> Tensor {
        if case .numbers(let packed) = data {
            guard packed.count == expected else {
                throw LedgeError.invalidInput(
                    "input '\(name)': shape \(describe(shape)) needs \(expected) values, got \(packed.count) in 'data'")
            }
            return try tensor(name: name, dtype: dtype, shape: shape, packed: packed)
        }
        var values: [JSONValue] = []
        values.reserveCapacity(expected)
        try flatten(data, into: &values, name: name)
        guard values.count == expected else {
            throw LedgeError.invalidInput(
                "input '\(name)': shape \(describe(shape)) needs \(expected) values, got \(values.count) in 'data'")
        }
        switch dtype {
        case .float32: return Tensor(dtype: dtype, shape: shape, values: try values.map { Float(try double($0, name)) })
        case .float64: return Tensor(dtype: dtype, shape: shape, values: try values.map { try double($0, name) })
        case .float16: return Tensor(dtype: dtype, shape: shape, values: try values.map { Float16(Float(try double($0, name))) })
        case .bool: return Tensor(dtype: dtype, shape: shape, values: try values.map { try bool($0, name) ? UInt8(1) : 0 })
        case .uint8: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, UInt8.self))
        case .int8: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, Int8.self))
        case .uint16: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, UInt16.self))
        case .int16: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, Int16.self))
        case .uint32: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, UInt32.self))
        case .int32: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, Int32.self))
        case .uint64: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, UInt64.self))
        case .int64: return Tensor(dtype: dtype, shape: shape, values: try ints(values, name, dtype, Int64.self))
        }
    }

    /// A tensor of `dtype` and `shape` over raw little-endian `bytes`.
    package static func tensor(dtype: DType, shape: [Int], bytes: Data) -> Tensor {
        var tensor = Tensor(dtype: dtype, shape: shape)
        tensor.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(target.count)))
            }
        }
        return tensor
    }

    /// The shape as text: `[2, 4]`.
    package static func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    private static func flatten(_ value: JSONValue, into values: inout [JSONValue], name: String) throws {
        switch value {
        case .array(let items):
            for item in items { try flatten(item, into: &values, name: name) }
        case .number, .int, .uint, .bool:
            values.append(value)
        case .numbers(let packed):
            for (i, number) in packed.values.enumerated() {
                values.append(packed.isIntegerLiteral(i) ? .int(Int64(number)) : .number(number))
            }
        default:
            throw LedgeError.invalidInput("input '\(name)': 'data' holds \(value.kind), expected numbers or booleans (flat or nested arrays)")
        }
    }

    /// The tensor from packed numbers, written straight into its storage; the same values
    /// and errors as from one ``JSONValue`` per number.
    private static func tensor(name: String, dtype: DType, shape: [Int], packed: PackedNumbers) throws -> Tensor {
        var tensor = Tensor(dtype: dtype, shape: shape)
        try tensor.withUnsafeMutableBytes { raw in
            try packed.values.withUnsafeBufferPointer { values in
                switch dtype {
                case .float32: fill(raw, values) { Float($0) }
                case .float64: fill(raw, values) { $0 }
                case .float16: fill(raw, values) { Float16(Float($0)) }
                case .bool:
                    if let i = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                        throw LedgeError.invalidInput("input '\(name)': 'data' holds \(JSONValue.number(values[i]).kind), expected booleans")
                    }
                    fill(raw, values) { $0 == 1 ? UInt8(1) : 0 }
                case .uint8: try fill(raw, packed, name, dtype, UInt8.self)
                case .int8: try fill(raw, packed, name, dtype, Int8.self)
                case .uint16: try fill(raw, packed, name, dtype, UInt16.self)
                case .int16: try fill(raw, packed, name, dtype, Int16.self)
                case .uint32: try fill(raw, packed, name, dtype, UInt32.self)
                case .int32: try fill(raw, packed, name, dtype, Int32.self)
                case .uint64: try fill(raw, packed, name, dtype, UInt64.self)
                case .int64: try fill(raw, packed, name, dtype, Int64.self)
                }
            }
        }
        return tensor
    }

    private static func fill<T>(_ raw: UnsafeMutableRawBufferPointer, _ values: UnsafeBufferPointer<Double>, _ convert: (Double) -> T) {
        let out = raw.bindMemory(to: T.self)
        for i in 0..<values.count { out[i] = convert(values[i]) }
    }

    private static func fill<T: FixedWidthInteger>(
        _ raw: UnsafeMutableRawBufferPointer, _ packed: PackedNumbers, _ name: String, _ dtype: DType, _ type: T.Type
    ) throws {
        let out = raw.bindMemory(to: T.self)
        for (i, number) in packed.values.enumerated() {
            guard number.rounded() == number, let value = T(exactly: number) else {
                throw LedgeError.invalidInput(
                    "input '\(name)': 'data' holds \(packed.describe(i)), expected integers in \(T.min)...\(T.max) for \(dtype.v2Name)")
            }
            out[i] = value
        }
    }

    private static func double(_ value: JSONValue, _ name: String) throws -> Double {
        switch value {
        case .number(let number): return number
        case .int(let int): return Double(int)
        case .uint(let uint): return Double(uint)
        default: throw LedgeError.invalidInput("input '\(name)': 'data' holds \(value.kind), expected numbers")
        }
    }

    private static func bool(_ value: JSONValue, _ name: String) throws -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .number(let number) where number == 0 || number == 1: return number == 1
        case .int(let int) where int == 0 || int == 1: return int == 1
        default: throw LedgeError.invalidInput("input '\(name)': 'data' holds \(value.kind), expected booleans")
        }
    }

    private static func ints<T: FixedWidthInteger>(_ values: [JSONValue], _ name: String, _ dtype: DType, _ type: T.Type) throws -> [T] {
        try values.map { value in
            let result: T?
            switch value {
            case .number(let number): result = number.rounded() == number ? T(exactly: number) : nil
            case .int(let int): result = T(exactly: int)
            case .uint(let uint): result = T(exactly: uint)
            default: result = nil
            }
            guard let result else {
                throw LedgeError.invalidInput(
                    "input '\(name)': 'data' holds \(describe(value)), expected integers in \(T.min)...\(T.max) for \(dtype.v2Name)")
            }
            return result
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let number): return String(number)
        case .int(let int): return String(int)
        case .uint(let uint): return String(uint)
        default: return value.kind
        }
    }
}
