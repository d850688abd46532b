internal import LedgeCore

/// How the command line reports a library error: its exit code (DESIGN.md:
/// 2 usage, 3 input or model, 4 runtime or machine) and a hint that names
/// this CLI's flags, which the libraries know nothing of.
extension LedgeError {
    /// The process exit code for this error.
    var exitCode: Int32 {
        switch code {
        case .usage: return 2
        case .invalidInput, .invalidModel, .notFound, .tooLarge: return 3
        default: return 4
        }
    }

    /// The line printed on stderr: the message, plus where to look for a runtime library.
    var commandLineMessage: String {
        guard code == .runtimeUnavailable else { return message }
        return message + " or run 'make setup'"
    }
}
