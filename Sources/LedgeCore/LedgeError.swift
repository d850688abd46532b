/// The one error type Ledge's libraries throw.
///
/// Every error carries a stable ``code`` and a one-line, human-readable
/// ``message`` that names the file or field at fault and what was expected.
/// Libraries know nothing of the command line or HTTP: the CLI maps the code
/// to an exit code, the server to a status. Compare errors by ``code``; the
/// message is the contract only where a test says so.
public struct LedgeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure an error is: stable, for callers to branch on.
    ///
    /// Modelled on swift-service-lifecycle's `ServiceRunnerError.Code`: a
    /// struct over a private enum, so new codes can be added without breaking
    /// callers' `switch` statements.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case usage, invalidInput, invalidModel, notFound, busy, tooLarge, timedOut
            case runtimeUnavailable, runtimeFailure, remoteFailure
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name, as `invalidInput`.
        public var description: String { base.rawValue }

        /// A call was wrong: an option, an argument, a name.
        public static let usage = Code(.usage)
        /// An input (image, tensor, request, option value) was unreadable or of the wrong kind.
        public static let invalidInput = Code(.invalidInput)
        /// A model file is missing, unreadable, malformed, or crashes or hangs the runtime.
        public static let invalidModel = Code(.invalidModel)
        /// No model (or version) of that name.
        public static let notFound = Code(.notFound)
        /// Every instance is busy and the wait queue is full: try again later.
        public static let busy = Code(.busy)
        /// An input is larger than a configured limit.
        public static let tooLarge = Code(.tooLarge)
        /// Something did not finish within its time limit.
        public static let timedOut = Code(.timedOut)
        /// A runtime library could not be found or loaded.
        public static let runtimeUnavailable = Code(.runtimeUnavailable)
        /// A runtime failed while compiling or running a model.
        public static let runtimeFailure = Code(.runtimeFailure)
        /// A remote service (a registry, a device) could not be reached, refused the credentials, or failed.
        public static let remoteFailure = Code(.remoteFailure)
    }

    /// What kind of failure this is.
    public let code: Code
    /// A one-line message fit to print as it is.
    public let message: String

    /// An error with `code` and `message`, kept to one line: control characters
    /// (a client's name may hold a form feed or a newline) are escaped, as `\n`
    /// or `\u{c}`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = Self.oneLine(message)
    }

    /// `text` with the characters that would end or garble its line escaped.
    static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: TextProto.breaksLine) else { return text }
        return TextProto.printable(text, limit: .max)
    }

    public var description: String { message }

    /// A call was wrong (``Code/usage``).
    public static func usage(_ message: String) -> LedgeError { .init(.usage, message) }
    /// An input was unreadable or of the wrong kind (``Code/invalidInput``).
    public static func invalidInput(_ message: String) -> LedgeError { .init(.invalidInput, message) }
    /// A model file is missing, unreadable or malformed (``Code/invalidModel``).
    public static func invalidModel(_ message: String) -> LedgeError { .init(.invalidModel, message) }
    /// No such model (``Code/notFound``).
    public static func notFound(_ message: String) -> LedgeError { .init(.notFound, message) }
    /// A runtime library could not be found or loaded (``Code/runtimeUnavailable``).
    public static func runtimeUnavailable(_ message: String) -> LedgeError { .init(.runtimeUnavailable, message) }
    /// A runtime failed while compiling or running a model (``Code/runtimeFailure``).
    public static func runtimeFailure(_ message: String) -> LedgeError { .init(.runtimeFailure, message) }

    /// The same error with `detail` added to the message after a colon.
    public func appending(detail: String) -> LedgeError {
        LedgeError(code, message + ": " + detail)
    }
}
