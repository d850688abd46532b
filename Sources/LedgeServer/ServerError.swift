public import Hummingbird
public import LedgeCore
internal import LedgeServing

/// An error as the HTTP server answers it: a status and a one-line message,
/// sent as `{"error": "…"}`.
///
/// Routes throw ``LedgeError``s (transport-neutral, with a code) or, for what
/// only HTTP has (media types, body limits, methods), a `ServerError` itself;
/// ``from(_:)`` maps codes to statuses in one place.
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

    /// The HTTP answer to a library error: its code decides the status.
    public init(_ error: LedgeError) {
        self.init(Self.status(for: error.code), error.message)
    }

    public var description: String { message }

    /// 400: the request is malformed or does not fit the model.
    public static func badRequest(_ message: String) -> ServerError { .init(.badRequest, message) }

    /// 503: the server is draining and `--exit-timeout-secs` (`seconds`, when known) has passed.
    public static func exitTimeoutPassed(seconds: Double? = nil) -> ServerError {
        .init(.serviceUnavailable, "the server is shutting down and its exit timeout\(seconds.map { " of \(cFormat("%g", $0)) s" } ?? "") passed")
    }

    /// 400: the client closed (or reset) the connection before its request was read in full.
    static let requestCutShort = ServerError(.badRequest, "connection closed before the request was complete")

    /// 413: the body is larger than `--max-body-size`.
    public static func bodyTooLarge(limit: Int) -> ServerError {
        .init(.contentTooLarge, "request body exceeds the limit of \(limit) bytes (--max-body-size)")
    }

    /// The HTTP status for a library error code.
    public static func status(for code: LedgeError.Code) -> HTTPResponse.Status {
        switch code {
        case .usage, .invalidInput, .invalidModel: return .badRequest
        case .notFound: return .notFound
        case .busy: return .serviceUnavailable
        case .tooLarge: return .contentTooLarge
        case .timedOut: return .requestTimeout
        default: return .internalServerError
        }
    }

    /// The status and message for any error a handler throws.
    public static func from(_ error: any Error) -> ServerError {
        switch error {
        case let error as ServerError: return error
        case let error as LedgeError: return ServerError(error)
        // Only the server's exit timeout cancels a request (``ServerGroup``): load, not a fault.
        case is CancellationError: return .exitTimeoutPassed()
        default: return .init(.internalServerError, "internal error: \(error)")
        }
    }
}
