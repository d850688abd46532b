internal import ArgumentParser
internal import Foundation
internal import LedgeCore

/// The entry point the `ledge` executable calls: parses, runs, and maps errors
/// to one line on stderr and the documented exit codes.
public enum LedgeMain {
    /// Runs `ledge` with `arguments` (without the program name) and returns the exit code.
    public static func run(_ arguments: [String]) -> Int32 {
        do {
            var command = try Ledge.parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let error as LedgeError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            return error.exitCode
        } catch {
            let code = Ledge.exitCode(for: error)
            if code == .success {
                print(Ledge.fullMessage(for: error))
                return 0
            }
            let message = Ledge.fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            return code == .validationFailure ? 2 : code.rawValue
        }
    }
}
