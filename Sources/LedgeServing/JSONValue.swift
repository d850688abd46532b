/// A JSON value of any kind, for tensor `data` (flat or nested arrays of
/// numbers or booleans) and free-form `parameters`.
public enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    /// An integer too large for a `Double` to hold exactly.
    case int(Int64)
    case uint(UInt64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// A V2 request input's `data` made of numbers only (flat or nested arrays),
    /// flattened as ``JSONParser`` reads it: no value per number.
    case numbers(PackedNumbers)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            if number.rounded() == number, abs(number) >= 9_007_199_254_740_992 {
                if let int = try? container.decode(Int64.self) { self = .int(int); return }
                if let uint = try? container.decode(UInt64.self) { self = .uint(uint); return }
            }
            self = .number(number)
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else if container.decodeNil() {
            self = .null
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// What kind of value this is, for error messages.
    package var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number, .int, .uint: return "a number"
        case .string: return "a string"
        case .array, .numbers: return "an array"
        case .object: return "an object"
        }
    }
}

/// Numbers in the order they appear, each as a `Double` and whether its literal
/// was an integer (`3`, not `3.0`), as ``JSONValue/int(_:)`` would have kept it.
/// Integer literals beyond ±2^53 are not packed: a `Double` would round them.
public struct PackedNumbers: Sendable {
    /// The values, in order.
    public private(set) var values: [Double] = []
    private var integerBits: [UInt64] = []

    package init() {}

    /// How many numbers there are.
    public var count: Int { values.count }

    package mutating func append(_ value: Double, integerLiteral: Bool) {
        if values.count & 63 == 0 { integerBits.append(0) }
        if integerLiteral { integerBits[values.count >> 6] |= 1 << UInt64(values.count & 63) }
        values.append(value)
    }

    /// Whether number `index` was written as an integer.
    public func isIntegerLiteral(_ index: Int) -> Bool {
        integerBits[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// Number `index` as the tree would hold it: ``JSONValue/int(_:)`` for an integer
    /// literal, ``JSONValue/number(_:)`` otherwise.
    public func element(_ index: Int) -> JSONValue {
        isIntegerLiteral(index) ? .int(Int64(values[index])) : .number(values[index])
    }
}
