/// Element types of tensors, named as Ledge prints them.
public enum DType: String, Sendable, Hashable, CaseIterable, Codable {
    case bool
    case uint8
    case int8
    case uint16
    case int16
    case uint32
    case int32
    case uint64
    case int64
    case float16
    case float32
    case float64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .uint16, .int16, .float16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        }
    }

    /// Whether the type is a floating-point type.
    public var isFloatingPoint: Bool {
        self == .float16 || self == .float32 || self == .float64
    }

    /// The Open Inference Protocol (KServe V2) datatype name: `UINT8`, `FP32`, `BOOL`, ….
    public var v2Name: String {
        switch self {
        case .bool: return "BOOL"
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .uint16: return "UINT16"
        case .int16: return "INT16"
        case .uint32: return "UINT32"
        case .int32: return "INT32"
        case .uint64: return "UINT64"
        case .int64: return "INT64"
        case .float16: return "FP16"
        case .float32: return "FP32"
        case .float64: return "FP64"
        }
    }
}
