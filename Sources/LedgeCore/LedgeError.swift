/// The one error type Ledge's libraries throw.
///
/// Every error carries a one-line, human-readable ``message`` that names the
/// file or field at fault and what was expected, and a category that decides
/// the CLI exit code and the HTTP status a server answers with.
public struct LedgeError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case usage
        case invalidInput
        case invalidModel
        case runtimeUnavailable
        case runtimeFailure
    }

    private let code: Code
    /// A one-line message fit to print as it is.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The command line was wrong (exit code 2).
    public static func usage(_ message: String) -> LedgeError { .init(.usage, message) }
    /// An input (image, tensor, option value) was unreadable or of the wrong kind (exit code 3).
    public static func invalidInput(_ message: String) -> LedgeError { .init(.invalidInput, message) }
    /// A model file is missing, unreadable or malformed (exit code 3).
    public static func invalidModel(_ message: String) -> LedgeError { .init(.invalidModel, message) }
    /// A runtime library could not be found or loaded (exit code 4).
    public static func runtimeUnavailable(_ message: String) -> LedgeError { .init(.runtimeUnavailable, message) }
    /// A runtime failed while compiling or running a model (exit code 4).
    public static func runtimeFailure(_ message: String) -> LedgeError { .init(.runtimeFailure, message) }

    /// The same error with `detail` added to the message after a colon.
    public func appending(detail: String) -> LedgeError {
        LedgeError(code, message + ": " + detail)
    }

    /// The process exit code for this error: 2 usage, 3 input or model, 4 runtime.
    public var exitCode: Int32 {
        switch code {
        case .usage: return 2
        case .invalidInput, .invalidModel: return 3
        case .runtimeUnavailable, .runtimeFailure: return 4
        }
    }

    /// True when the caller (not the runtime or the machine) is at fault: a 4xx over HTTP.
    public var isClientError: Bool {
        switch code {
        case .usage, .invalidInput, .invalidModel: return true
        case .runtimeUnavailable, .runtimeFailure: return false
        }
    }
}
