internal import CLedgeProcess
internal import LedgeCore
public import Foundation

/// A command-line tool the harness ran (skopeo, umoci, htpasswd, …) that exited with a non-zero
/// status, ended by a signal or ran past its time limit; carries its standard error.
public struct CommandFailure: Error, CustomStringConvertible, Sendable {
    /// The executable and its arguments.
    public var command: [String]
    /// The exit status (the signal number when `signaled`).
    public var status: Int32
    /// True when the process ended by a signal.
    public var signaled: Bool
    /// True when it was killed for running past its time limit.
    public var timedOut: Bool
    /// What the tool wrote to standard output (decoded as UTF-8).
    public var stdout: String
    /// What the tool wrote to standard error.
    public var stderr: String

    public var description: String {
        let how = timedOut ? "timed out" : signaled ? "was killed by signal \(status)" : "exited with status \(status)"
        return "\(command.joined(separator: " ")) \(how): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
    }
}

/// How a child process ended.
public struct ProcessExit: Sendable, Hashable, CustomStringConvertible {
    /// The exit status, or the signal number when `signaled`.
    public var status: Int32
    /// True when a signal ended it.
    public var signaled: Bool

    public init(status: Int32, signaled: Bool) {
        self.status = status
        self.signaled = signaled
    }

    public var description: String { signaled ? "killed by signal \(status)" : "exited with status \(status)" }
}

/// The harness could not set something up (a tool is missing, a server never became ready);
/// the message says what happened and what to do.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runs the command-line tools the harness wraps.
enum Tool {
    /// Fails with a clear message when `path` is not an executable file: CI installs these
    /// tools in set-up, so a missing one is a broken machine, not a reason to skip.
    static func require(_ path: String, debianPackage: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(path) not found: install the Debian package '\(debianPackage)' (apt-get install \(debianPackage))")
        }
    }

    /// Runs `executable` to its end off the caller's executor, and returns its standard output;
    /// throws ``CommandFailure`` unless it exited with status 0. `environment` replaces the
    /// process's environment; `nil` inherits it.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeLimit: TimeInterval = 120
    ) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(executable, arguments, environment: environment, timeLimit: timeLimit) })
            }
        }
    }

    /// ``run(_:_:environment:timeLimit:)`` blocking the calling thread.
    static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeLimit: TimeInterval = 120
    ) throws -> Data {
        let result = try ProcessRunner.run(
            executable, arguments, environment: environment ?? [:], inheritEnvironment: environment == nil, timeLimit: timeLimit)
        guard result.status == 0, !result.signaled, !result.timedOut else {
            throw CommandFailure(
                command: [executable] + arguments, status: result.status, signaled: result.signaled, timedOut: result.timedOut,
                stdout: result.stdout, stderr: result.stderr)
        }
        return Data(result.stdout.utf8)
    }
}

/// A free TCP port on `address` (127.0.0.1 unless told), found by binding port 0 and closing the
/// socket again. Another process may take it before the caller binds it: callers retry on
/// "address already in use".
func freeLoopbackPort(address host: String = "127.0.0.1") throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr(host)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else { throw HarnessError("binding \(host):0 failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A new empty directory under the temporary folder, as its canonical path (symbolic links
/// resolved: the kernel reports canonical paths, e.g. in `/proc/PID/maps`).
func makeTemporaryDirectory(prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Removes a directory the harness made, after unmounting anything still mounted below it
/// (a recursive delete must never descend into a mount such as `/proc`).
func removeTemporaryDirectory(_ path: String) {
    for mountPoint in MountTable.mountPoints(under: path).reversed() {
        FileHandle.standardError.write(Data("LedgeTesting: unmounting leftover mount \(mountPoint)\n".utf8))
        _ = umount2(mountPoint, Int32(MNT_DETACH))
    }
    guard MountTable.mountPoints(under: path).isEmpty else {
        FileHandle.standardError.write(Data("LedgeTesting: not removing \(path): still has mounts below it\n".utf8))
        return
    }
    try? FileManager.default.removeItem(atPath: path)
}

/// The mounts of the test process's mount namespace (`/proc/self/mountinfo`).
public enum MountTable {
    /// The mount points at or below `path` (canonical), shallowest first.
    public static func mountPoints(under path: String) -> [String] {
        guard let text = try? ProcFile.text("/proc/self/mountinfo") else { return [] }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = unescapeMountPath(String(fields[4]))
            return point == path || point.hasPrefix(prefix) ? point : nil
        }.sorted { $0.count < $1.count }
    }

    /// mountinfo writes space, tab, newline and backslash as `\ooo` octal escapes.
    private static func unescapeMountPath(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3, let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `posix_spawn` with an empty signal mask and every signal at its default action, for
/// ``BackgroundProcess`` and ``ProcessRunner``: Foundation's `Process` hands the child the
/// spawning thread's mask, and the test runner's threads block SIGTERM (and SIGINT, SIGHUP, …).
enum CleanSpawn {
    /// Starts `executable` with `arguments`, exactly `environment`, and the file `actions`.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String], actions: inout posix_spawn_file_actions_t
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        // Last, after the caller's actions for 0, 1 and 2: a test's sockets and pipes stay ours
        // (a long-lived child holding a client's socket would keep the connection open).
        ledge_spawn_close_inherited(&actions)
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw HarnessError("posix_spawn \(executable) failed: \(String(cString: strerror(result)))")
        }
        return child
    }
}

/// A long-running child process whose standard output and error go to files, stopped with
/// SIGTERM then, after a bound, SIGKILL.
///
/// Started by ``CleanSpawn``, so that it sees the SIGTERM that should stop it.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String
    private let lock = NSLock()
    private var ended: ProcessExit?

    /// Starts `executable`; `environment` replaces the environment (`nil` inherits it); both
    /// output streams go to `stdoutPath` and `stderrPath` (the same path is allowed); standard
    /// input is `/dev/null`.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]?, stdoutPath: String, stderrPath: String
    ) throws {
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let flags = O_WRONLY | O_CREAT | O_TRUNC
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, flags, 0o644)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, flags, 0o644)
        }
        pid = try CleanSpawn.start(executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment, actions: &actions)
    }

    /// True until the process has ended (and been reaped).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// How it ended; `nil` while it runs.
    var exit: ProcessExit? { reap(blocking: false) }

    /// The text of a file the process writes.
    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM, waits up to `grace` seconds, then SIGKILL; returns once the process is
    /// reaped, with how it ended. Blocks the calling thread (briefly for well-behaved
    /// children), so it can run in `defer`.
    @discardableResult
    public func stop(grace: TimeInterval = 10) -> ProcessExit {
        if isRunning {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(grace)
            while isRunning && Date() < deadline { usleep(5_000) }
            if isRunning { kill(pid, SIGKILL) }
        }
        return reap(blocking: true) ?? ProcessExit(status: -1, signaled: false)
    }

    /// `waitpid` once the process has ended; the result is kept (a pid is reaped only once).
    private func reap(blocking: Bool) -> ProcessExit? {
        lock.withLock {
            if let ended { return ended }
            var status: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            } while result == -1 && errno == EINTR
            if result == 0 { return nil }
            if result == -1 {
                ended = ProcessExit(status: -1, signaled: false)  // reaped elsewhere: gone, status unknown
            } else if status & 0x7f == 0 {
                ended = ProcessExit(status: (status >> 8) & 0xff, signaled: false)  // WIFEXITED, WEXITSTATUS
            } else {
                ended = ProcessExit(status: status & 0x7f, signaled: true)  // WTERMSIG
            }
            return ended
        }
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = reap(blocking: true)
        }
    }
}

/// Polls `condition` every `interval` until it is true (returns true) or `timeout` passes (returns false).
func waitUntil(timeout: Duration, interval: Duration = .milliseconds(50), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Runs `body` with a new empty temporary directory (canonical path) and removes the directory
/// afterwards, also when `body` throws (first unmounting anything left mounted inside it).
public func withTemporaryDirectory<T>(
    prefix: String = "ledge-test", isolation: isolated (any Actor)? = #isolation, _ body: (String) async throws -> T
) async throws -> T {
    let directory = try makeTemporaryDirectory(prefix: prefix)
    defer { removeTemporaryDirectory(directory) }
    return try await body(directory)
}

/// A minimal blocking HTTP/1.1 client for loopback servers (`Connection: close`, read to EOF).
/// Foundation's URLSession on Linux never completes a request that a registry answers 401 with
/// `WWW-Authenticate: Basic` (it waits for an authentication challenge answer), so the harness
/// talks HTTP itself.
enum LoopbackHTTP {
    struct Response {
        var status: Int
        var body: Data
    }

    /// `METHOD path` to 127.0.0.1:`port` with extra `headers`; throws on connection failure or timeout.
    static func request(
        _ method: String, port: Int, path: String, headers: [String: String] = [:], timeout: TimeInterval = 5
    ) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try requestBlocking(method, port: port, path: path, headers: headers, timeout: timeout) })
            }
        }
    }

    static func requestBlocking(_ method: String, port: Int, path: String, headers: [String: String], timeout: TimeInterval) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw HarnessError("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nUser-Agent: LedgeTesting\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("sending to 127.0.0.1:\(port) failed: errno \(errno)") }
            sent += n
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw HarnessError("reading from 127.0.0.1:\(port) failed or timed out: errno \(errno)") }
            received.append(contentsOf: buffer[..<n])
        }
        guard let end = received.range(of: Data("\r\n\r\n".utf8)) else {
            throw HarnessError("127.0.0.1:\(port): incomplete HTTP response")
        }
        let header = String(decoding: received[..<end.lowerBound], as: UTF8.self)
        let statusLine = header.split(separator: "\r\n").first ?? ""
        guard let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw HarnessError("127.0.0.1:\(port): bad status line '\(statusLine)'")
        }
        var body = Data(received[end.upperBound...])
        if header.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Response(status: status, body: body)
    }

    private static func dechunk(_ data: Data) -> Data {
        var rest = data[...]
        var out = Data()
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard let stop = rest.index(start, offsetBy: size, limitedBy: rest.endIndex) else { break }
            out.append(rest[start..<stop])
            rest = rest[min(rest.index(stop, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex, rest.endIndex)...]
        }
        return out
    }
}
