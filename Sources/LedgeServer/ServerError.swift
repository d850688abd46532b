public import Hummingbird
internal import LedgeCore

/// An error the server answers with: an HTTP status and a one-line message,
/// sent as `{"error": "…"}`.
public struct ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status to answer with.
    public var status: HTTPResponse.Status
    /// A one-line message naming the field at fault and what was expected.
    public var message: String

    /// An error with `status` and `message`.
    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    /// 400: the request is malformed or does not fit the model.
    public static func badRequest(_ message: String) -> ServerError { .init(.badRequest, message) }

    /// 404: no model of that name.
    public static func unknownModel(_ name: String) -> ServerError {
        .init(.notFound, "unknown model '\(name)'")
    }

    /// 503: every instance is busy and the wait queue is full.
    public static func busy(model: String, waiting: Int, limit: Int) -> ServerError {
        .init(.serviceUnavailable, "model '\(model)' is busy: \(waiting) requests waiting (queue limit \(limit))")
    }

    /// 413: the body is larger than `--max-body-size`.
    public static func bodyTooLarge(limit: Int) -> ServerError {
        .init(.contentTooLarge, "request body exceeds the limit of \(limit) bytes (--max-body-size)")
    }

    /// The status and message for any error a handler throws: ``LedgeError``s
    /// become 400 (the client's fault) or 500.
    public static func from(_ error: any Error) -> ServerError {
        switch error {
        case let error as ServerError: return error
        case let error as LedgeError: return .init(error.isClientError ? .badRequest : .internalServerError, error.message)
        default: return .init(.internalServerError, "internal error: \(error)")
        }
    }
}
