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

    /// Exited 0 within its time limit.
    public var passed: Bool { status == 0 && !signaled && !timedOut }
    /// Standard output's lines.
    public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs executables for end-to-end tests, with a time limit so a hang fails a test instead of CI.
public enum ProcessRunner {
    /// Runs `executable` with `arguments`, extra `environment` entries (or only those, when
    /// `inheritEnvironment` is false), and a time limit (then it is killed).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        inheritEnvironment: Bool = true, timeLimit: TimeInterval = 120
    ) throws -> ProcessResult {
        let variables = inheritEnvironment ? ProcessInfo.processInfo.environment.merging(environment) { $1 } : environment
        let (child, outRead, errRead) = try spawn(executable, arguments, environment: variables)
        defer {
            close(outRead)
            close(errRead)
        }
        // Drain both pipes concurrently so a chatty child never blocks; stop at most 10 s after
        // it ends, as a process it started may keep the pipes open.
        let exitedAt = ExitTime()
        let drained = DispatchSemaphore(value: 0)
        let outData = DataBox(), errData = DataBox()
        DispatchQueue.global().async {
            drain([(outRead, outData), (errRead, errData)], until: exitedAt)
            drained.signal()
        }
        let deadline = Date().addingTimeInterval(timeLimit)
        var timedOut = false
        var status: Int32 = 0
        while true {
            let result = waitpid(child, &status, WNOHANG)
            if result == child || (result == -1 && errno != EINTR) { break }
            if !timedOut, Date() > deadline {
                timedOut = true
                kill(child, SIGKILL)
            }
            usleep(2_000)
        }
        exitedAt.set(Date())
        drained.wait()
        let signaled = status & 0x7f != 0  // WIFSIGNALED (stopped children are not waited for)
        return ProcessResult(
            status: signaled ? status & 0x7f : (status >> 8) & 0xff,
            signaled: signaled && !timedOut,
            timedOut: timedOut,
            stdout: String(decoding: outData.get(), as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// Starts `executable` with `posix_spawn`, standard input from /dev/null and both output
    /// streams into pipes (their read ends returned). Not Foundation's `Process`: it hands the
    /// child the test thread's signal mask (SIGTERM blocked), and it learns of the child's end
    /// from a monitor on Dispatch's shared threads, which under a loaded test run may not come
    /// for longer than any time limit; `waitpid` here does not depend on either.
    private static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (pid_t, Int32, Int32) {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw HarnessError("pipe failed: errno \(errno)") }
        guard pipe(&err) == 0 else {
            close(out[0])
            close(out[1])
            throw HarnessError("pipe failed: errno \(errno)")
        }
        // Close-on-exec (glibc's pipe2 is not visible to Swift): no other child keeps these open.
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer {
            close(out[1])
            close(err[1])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let child: pid_t
        do {
            child = try CleanSpawn.start(executable, arguments, environment: environment, actions: &actions)
        } catch {
            close(out[0])
            close(err[0])
            throw error
        }
        return (child, out[0], err[0])
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

    /// Runs one of the live client checks, `scripts/NAME` with the Python of `$LEDGE_HOME/VENV`,
    /// off the executor; ``ProcessResult/passed`` and ``ProcessResult/lines`` are what tests read.
    public static func check(_ name: String, venv: String = "venv", _ arguments: [String], timeLimit: TimeInterval = 300) async throws
        -> ProcessResult
    {
        try await runOffExecutor(Fixtures.home + "/\(venv)/bin/python", [Fixtures.packageRoot + "/scripts/" + name] + arguments, timeLimit: timeLimit)
    }

    /// Runs the built `ledge` executable.
    public static func ledge(_ arguments: [String], environment: [String: String] = [:], timeLimit: TimeInterval = 120) throws -> ProcessResult {
        try run(Fixtures.ledgeExecutable, arguments, environment: environment, timeLimit: timeLimit)
    }
}

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ bytes: UnsafeRawBufferPointer) { lock.lock(); data.append(contentsOf: bytes); lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// When the child ended (nil while it runs).
private final class ExitTime: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date?
    func set(_ date: Date) { lock.withLock { time = date } }
    func get() -> Date? { lock.withLock { time } }
}

/// Reads every descriptor into its box until each reaches end of file, or 10 s after the child ended.
private func drain(_ pipes: [(Int32, DataBox)], until exited: ExitTime) {
    var open = pipes
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty {
        if let end = exited.get(), Date().timeIntervalSince(end) > 10 { return }
        var fds = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), 100) > 0 else { continue }
        var closed: Set<Int32> = []
        for (index, entry) in fds.enumerated() where entry.revents != 0 {
            let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.withUnsafeBytes { open[index].1.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            } else if count == 0 || errno != EINTR {
                closed.insert(entry.fd)
            }
        }
        open.removeAll { closed.contains($0.0) }
    }
}
