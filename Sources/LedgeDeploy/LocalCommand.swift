#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import CLedgeProcess
internal import LedgeCore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Runs a program (`ssh`) with standard input from a file or bytes and its output captured,
/// under a time limit; no shell, no Foundation `Process`.
enum LocalCommand {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The last non-empty line of stderr, for one-line errors (`\r\n`, which ssh ends its own
        /// messages with, is one `Character`: lines are split at any line break).
        var lastError: String {
            stderr.split(whereSeparator: \.isNewline).map { String($0).trimmingWhitespaceAndNewlines() }.last { !$0.isEmpty }
                ?? "exit status \(status)"
        }
    }

    /// What the program reads on standard input.
    enum Input: Sendable {
        case none
        case bytes([UInt8])
        /// A file from `offset` on (the rest of an interrupted transfer).
        case file(String, offset: Int)
    }

    static func run(_ argv: [String], input: [UInt8]? = nil, inputFile: String? = nil, timeLimit: Duration = .seconds(600)) throws
        -> Result
    {
        let source: Input = input.map { .bytes($0) } ?? inputFile.map { .file($0, offset: 0) } ?? .none
        return try run(argv, input: source, timeLimit: timeLimit)
    }

    /// Runs `argv`; standard input is fed through a pipe (at most `bytesPerSecond` when given),
    /// standard output and error are captured in files.
    static func run(_ argv: [String], input: Input, bytesPerSecond: Int? = nil, timeLimit: Duration = .seconds(600)) throws -> Result {
        let scratch = NSTemporaryDirectoryPath() + "/ledge-cmd-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        guard mkdir(scratch, 0o700) == 0 else { throw LedgeError.runtimeFailure("cannot create \(scratch)") }
        defer { _ = try? FileManager.default.removeItem(atPath: scratch) }
        signal(SIGPIPE, SIG_IGN)  // a program that ends early must not end us with it
        var pipeEnds: [Int32] = [-1, -1]
        if case .none = input {
        } else {
            guard pipe(&pipeEnds) == 0 else { throw LedgeError.runtimeFailure("cannot create a pipe: \(String(cString: strerror(errno)))") }
        }
        defer { for end in pipeEnds where end >= 0 { close(end) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if pipeEnds[0] >= 0 {
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
            posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, scratch + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, scratch + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        ledge_spawn_close_inherited(&actions)  // an ssh ControlMaster outlives the command: it must hold none of ours
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for arg in args { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, args, environ)
        guard spawned == 0 else {
            throw LedgeError.runtimeUnavailable("cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        let deadline = ContinuousClock.now + timeLimit
        if pipeEnds[0] >= 0 {
            close(pipeEnds[0])
            pipeEnds[0] = -1
            feed(input, to: pipeEnds[1], bytesPerSecond: bytesPerSecond, until: deadline)
            close(pipeEnds[1])
            pipeEnds[1] = -1
        }
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR { break }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw LedgeError(.timedOut, "\(argv.prefix(3).joined(separator: " ")) … did not finish within \(timeLimit)")
            }
            usleep(5_000)
        }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func text(_ name: String) -> String {
            FileManager.default.contents(atPath: scratch + "/" + name).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return Result(status: code, stdout: text("stdout"), stderr: text("stderr"))
    }

    /// Runs `argv` with standard output and error shared with ours (for streams such as
    /// `deploy logs --follow`); returns its exit status.
    static func runAttached(_ argv: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        ledge_spawn_close_inherited(&actions)
        let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for arg in args { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, args, environ)
        guard spawned == 0 else { throw LedgeError.runtimeUnavailable("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Writes the input into the pipe, paced to `bytesPerSecond`; stops early when the reader
    /// is gone (the program's exit status tells why) or at the deadline.
    private static func feed(_ input: Input, to fd: Int32, bytesPerSecond: Int?, until deadline: ContinuousClock.Instant) {
        let started = ContinuousClock.now
        var sent = 0
        func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
            var done = 0
            while done < chunk.count {
                let n = Glibc.write(fd, chunk.baseAddress! + done, chunk.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            sent += chunk.count
            if let rate = bytesPerSecond, rate > 0 {
                let due = started + .microseconds(Int64(sent) * 1_000_000 / Int64(rate))
                let now = ContinuousClock.now
                if due > now { usleep(UInt32(min((due - now) / .microseconds(1), 1_000_000))) }
            }
            return ContinuousClock.now < deadline
        }
        let chunkSize = bytesPerSecond.map { max(4096, min(65536, $0 / 10)) } ?? 65536
        switch input {
        case .none: return
        case .bytes(let bytes):
            bytes.withUnsafeBytes { all in
                var start = 0
                while start < all.count {
                    let end = min(start + chunkSize, all.count)
                    if !write(UnsafeRawBufferPointer(rebasing: all[start..<end])) { return }
                    start = end
                }
            }
        case .file(let path, let offset):
            let file = open(path, O_RDONLY)
            guard file >= 0 else { return }
            defer { close(file) }
            var position = off_t(offset)
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            while true {
                let n = buffer.withUnsafeMutableBytes { pread(file, $0.baseAddress, chunkSize, position) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                position += off_t(n)
                let more = buffer.withUnsafeBytes { write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                if !more { return }
            }
        }
    }

    private static func NSTemporaryDirectoryPath() -> String {
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return tmp.hasSuffix("/") ? String(tmp.dropLast()) : tmp
    }
}
