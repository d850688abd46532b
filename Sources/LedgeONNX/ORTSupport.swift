internal import CONNXRuntime
internal import LedgeCore

/// The API table of a loaded library: immutable function pointers into a
/// library that is never unloaded, so sharing it between threads is safe.
struct ORTAPI: @unchecked Sendable {
    let raw: ledge_ort_api

    /// Turns a returned status into a thrown ``ORTFailure``, releasing the status.
    func check(_ status: OpaquePointer?) throws(ORTFailure) {
        guard let status else { return }
        let code = raw.get_error_code(status)
        let text = raw.get_error_message(status).map { String(cString: $0) } ?? "unknown error"
        // ONNX Runtime's messages can span lines (a stack of contexts): Ledge's errors are one line.
        let message = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        raw.release_status(status)
        throw ORTFailure(code: Int(code.rawValue), message: message)
    }

    /// The default allocator (never released).
    func defaultAllocator() throws(ORTFailure) -> OpaquePointer {
        var allocator: OpaquePointer?
        try check(raw.get_default_allocator(&allocator))
        guard let allocator else { throw ORTFailure(code: 1, message: "no default allocator") }
        return allocator
    }

    /// Copies a string the runtime allocated with `allocator` and frees it there.
    func takeString(_ pointer: UnsafeMutablePointer<CChar>?, allocator: OpaquePointer) -> String? {
        guard let pointer else { return nil }
        let value = String(cString: pointer)
        _ = raw.allocator_free(allocator, pointer).map(raw.release_status)
        return value
    }
}

/// An error status from ONNX Runtime: its code and message.
struct ORTFailure: Error {
    var code: Int
    var message: String

    /// As a run-time failure: `onnxruntime: <message>`.
    var asRuntimeFailure: LedgeError { .runtimeFailure("onnxruntime: " + message) }
}

/// Owns one ONNX Runtime object and releases it when the last reference goes.
final class ORTHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    private let release: (OpaquePointer) -> Void

    init(_ pointer: OpaquePointer, release: @escaping (OpaquePointer) -> Void) {
        self.pointer = pointer
        self.release = release
    }

    deinit { release(pointer) }
}

extension DType {
    /// The ONNX tensor element type of this DType: the one table, exhaustive,
    /// that ``init(ort:)`` reads backwards.
    var ortType: ledge_ort_element_type {
        switch self {
        case .float32: return LEDGE_ORT_ELEMENT_FLOAT
        case .uint8: return LEDGE_ORT_ELEMENT_UINT8
        case .int8: return LEDGE_ORT_ELEMENT_INT8
        case .uint16: return LEDGE_ORT_ELEMENT_UINT16
        case .int16: return LEDGE_ORT_ELEMENT_INT16
        case .int32: return LEDGE_ORT_ELEMENT_INT32
        case .int64: return LEDGE_ORT_ELEMENT_INT64
        case .bool: return LEDGE_ORT_ELEMENT_BOOL
        case .float16: return LEDGE_ORT_ELEMENT_FLOAT16
        case .float64: return LEDGE_ORT_ELEMENT_DOUBLE
        case .uint32: return LEDGE_ORT_ELEMENT_UINT32
        case .uint64: return LEDGE_ORT_ELEMENT_UINT64
        }
    }

    /// The DType of an ONNX tensor element type; `nil` for types Ledge does not carry.
    init?(ort type: ledge_ort_element_type) {
        guard let dtype = DType.allCases.first(where: { $0.ortType == type }) else { return nil }
        self = dtype
    }
}

/// ONNX's names for element types Ledge cannot carry, for error messages.
func ortTypeName(_ type: ledge_ort_element_type) -> String {
    switch type {
    case LEDGE_ORT_ELEMENT_STRING: return "string"
    case LEDGE_ORT_ELEMENT_BFLOAT16: return "bfloat16"
    case LEDGE_ORT_ELEMENT_COMPLEX64: return "complex64"
    case LEDGE_ORT_ELEMENT_COMPLEX128: return "complex128"
    default: return DType(ort: type)?.rawValue ?? "type \(type.rawValue)"
    }
}
