#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
package import LedgeCore

/// Tensors from and to the V2 protocol: JSON `data` (flat or nested) and raw
/// little-endian bytes of the binary tensor data extension.
package enum TensorCoding {
    /// Fills a tensor of `dtype` and `shape` (of `count` elements, checked by
    /// ``ShapeArithmetic``) from JSON `data` of input `name`; the values are
    /// counted before the tensor is allocated.
    package static func tensor(name: String, dtype: DType, shape: [Int], count expected: Int, data: JSONValue) throws -> Tensor {
        if case .numbers(let packed) = data {
            try checkCount(packed.count, expected, name, shape)
            return try fill(name: name, dtype: dtype, shape: shape, count: packed.count, packed.element)
        }
        var values: [JSONValue] = []
        values.reserveCapacity(expected)
        try flatten(data, into: &values, name: name)
        try checkCount(values.count, expected, name, shape)
        return try fill(name: name, dtype: dtype, shape: shape, count: values.count) { values[$0] }
    }

    private static func checkCount(_ count: Int, _ expected: Int, _ name: String, _ shape: [Int]) throws {
        guard count == expected else {
            throw LedgeError.invalidInput("input '\(name)': shape \(describe(shape)) needs \(expected) values, got \(count) in 'data'")
        }
    }

    /// The tensor with `count` values, `element(i)` converted to `dtype` and written straight
    /// into its storage (the first value that does not convert is the error).
    private static func fill(
        name: String, dtype: DType, shape: [Int], count: Int, _ element: (Int) -> JSONValue
    ) throws -> Tensor {
        var tensor = Tensor(dtype: dtype, shape: shape)
        try tensor.withUnsafeMutableBytes { raw in
            func write<T>(_ convert: (JSONValue) throws -> T) throws {
                let out = raw.bindMemory(to: T.self)
                for i in 0..<count { out[i] = try convert(element(i)) }
            }
            switch dtype {
            case .float32: try write { Float(try double($0, name)) }
            case .float64: try write { try double($0, name) }
            case .float16: try write { Float16(Float(try double($0, name))) }
            case .bool: try write { try bool($0, name) ? UInt8(1) : 0 }
            case .uint8: try write { try integer($0, name, dtype, UInt8.self) }
            case .int8: try write { try integer($0, name, dtype, Int8.self) }
            case .uint16: try write { try integer($0, name, dtype, UInt16.self) }
            case .int16: try write { try integer($0, name, dtype, Int16.self) }
            case .uint32: try write { try integer($0, name, dtype, UInt32.self) }
            case .int32: try write { try integer($0, name, dtype, Int32.self) }
            case .uint64: try write { try integer($0, name, dtype, UInt64.self) }
            case .int64: try write { try integer($0, name, dtype, Int64.self) }
            }
        }
        return tensor
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
            for i in 0..<packed.count { values.append(packed.element(i)) }
        default:
            throw LedgeError.invalidInput("input '\(name)': 'data' holds \(value.kind), expected numbers or booleans (flat or nested arrays)")
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

    private static func integer<T: FixedWidthInteger>(_ value: JSONValue, _ name: String, _ dtype: DType, _ type: T.Type) throws -> T {
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

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let number): return String(number)
        case .int(let int): return String(int)
        case .uint(let uint): return String(uint)
        default: return value.kind
        }
    }
}
