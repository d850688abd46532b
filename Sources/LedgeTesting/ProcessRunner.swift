public import Foundation

/// The outcome of running a child process to its end.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// True when the process ended by a signal (a crash), not by exiting.
    public var signaled: Bool
    /// True when it was killed for running past the time limit.
    public var timedOut: Bool
    public var stdout: String
    public var stderr: String
}

/// Runs executables for end-to-end tests, with a time limit so a hang fails a test instead of CI.
public enum ProcessRunner {
    /// Runs `executable` with `arguments`, extra `environment` entries (or only those, when
    /// `inheritEnvironment` is false), and a time limit (then it is killed).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        inheritEnvironment: Bool = true, timeLimit: TimeInterval = 120
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = inheritEnvironment ? ProcessInfo.processInfo.environment.merging(environment) { $1 } : environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks.
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                box.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeLimit)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        group.wait()
        return ProcessResult(
            status: process.terminationStatus,
            signaled: process.terminationReason == .uncaughtSignal && !timedOut,
            timedOut: timedOut,
            stdout: String(decoding: outData.get(), as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// ``run(_:_:environment:timeLimit:)`` on a Dispatch thread: it blocks its thread while it
    /// waits, so async tests keep it off their executor.
    public static func runOffExecutor(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        timeLimit: TimeInterval = 120
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment, timeLimit: timeLimit) })
            }
        }
    }

    /// Runs the built `ledge` executable.
    public static func ledge(_ arguments: [String], environment: [String: String] = [:], timeLimit: TimeInterval = 120) throws -> ProcessResult {
        try run(Fixtures.ledgeExecutable, arguments, environment: environment, timeLimit: timeLimit)
    }
}

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
