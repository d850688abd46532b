internal import ArgumentParser
internal import LedgeCore
internal import LedgeONNX

/// The entry point the `ledge` executable calls: parses, runs, and maps errors
/// to one line on stderr and the documented exit codes.
public enum LedgeMain {
    /// What the process sets before any thread starts: ONNX Runtime's telemetry
    /// off (``ONNXRuntime/defaultTelemetryOff()``). Call it after reading
    /// `CommandLine.arguments`: a static binary finds them beside the
    /// environment, which this changes.
    public static func prepareProcess() {
        ONNXRuntime.defaultTelemetryOff()
    }

    /// Runs `ledge` with `arguments` (without the program name) and returns the exit code.
    ///
    /// Async commands (`serve`) cannot run here; the executable calls ``run(async:)``.
    public static func run(_ arguments: [String]) -> Int32 {
        do {
            var command = try Ledge.parseAsRoot(arguments)
            guard !(command is any AsyncParsableCommand) || type(of: command) == Ledge.self else {
                throw LedgeError.usage("'\(type(of: command).configuration.commandName ?? "")' runs only from the ledge executable")
            }
            try command.run()
            return 0
        } catch {
            return report(error)
        }
    }

    /// Runs `ledge` with `arguments`, async commands included, and returns the exit code.
    public static func run(async arguments: [String]) async -> Int32 {
        if let text = versionText(arguments) {
            print(text)
            return 0
        }
        do {
            var command = try Ledge.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            return report(error)
        }
    }

    /// `ledge --version --verbose`: the version, then each Swift package the build resolved.
    static func versionText(_ arguments: [String]) -> String? {
        guard arguments.count == 2, arguments.contains("--version"), arguments.contains("--verbose") || arguments.contains("-v") else {
            return nil
        }
        let width = LedgeVersion.dependencies.map(\.name.count).max() ?? 0
        let lines = LedgeVersion.dependencies.map {
            "  " + $0.name + String(repeating: " ", count: width - $0.name.count) + "  " + $0.version + "  " + $0.url
        }
        return (["ledge \(LedgeVersion.current)", "Swift packages:"] + lines).joined(separator: "\n")
    }

    private static func report(_ error: any Error) -> Int32 {
        do {
            throw error
        } catch let error as LedgeError {
            StandardStreams.writeError("error: \(error.commandLineMessage)\n")
            return error.exitCode
        } catch {
            let code = Ledge.exitCode(for: error)
            if code == .success {
                print(Ledge.fullMessage(for: error))
                return 0
            }
            let message = Ledge.fullMessage(for: error)
            if !message.isEmpty { StandardStreams.writeError(message + "\n") }
            return code == .validationFailure ? 2 : code.rawValue
        }
    }
}
