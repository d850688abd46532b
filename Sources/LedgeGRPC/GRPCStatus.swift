internal import GRPCCore
internal import LedgeCore

/// Library errors as gRPC statuses, with the same one-line messages as over HTTP.
enum GRPCStatus {
    /// The status code for a library error code.
    static func code(for code: LedgeError.Code) -> RPCError.Code {
        switch code {
        case .invalidInput, .invalidModel: return .invalidArgument
        case .usage: return .failedPrecondition
        case .notFound: return .notFound
        case .busy: return .unavailable
        case .tooLarge: return .resourceExhausted
        case .timedOut: return .deadlineExceeded
        default: return .internalError
        }
    }

    /// The `RPCError` for any error a handler throws.
    static func error(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case let error as LedgeError: return RPCError(code: code(for: error.code), message: error.message)
        case is CancellationError: return RPCError(code: .cancelled, message: "the call was cancelled")
        default: return RPCError(code: .internalError, message: "internal error: \(error)")
        }
    }

    /// How a failed inference request counts in the metrics' `reason` label.
    static func outcome(_ code: RPCError.Code) -> (busy: Bool, server: Bool) {
        (code == .unavailable, code == .internalError || code == .unknown || code == .dataLoss)
    }
}
