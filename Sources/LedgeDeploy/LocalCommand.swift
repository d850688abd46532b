#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
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

    static func run(_ argv: [String], input: [UInt8]? = nil, inputFile: String? = nil, timeLimit: Duration = .seconds(600)) throws
        -> Result
    {
        let scratch = NSTemporaryDirectoryPath() + "/ledge-cmd-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        guard mkdir(scratch, 0o700) == 0 else { throw LedgeError.runtimeFailure("cannot create \(scratch)") }
        defer { _ = try? FileManager.default.removeItem(atPath: scratch) }
        var stdinPath = inputFile ?? "/dev/null"
        if let input {
            stdinPath = scratch + "/stdin"
            guard FileManager.default.createFile(atPath: stdinPath, contents: Data(input)) else {
                throw LedgeError.runtimeFailure("cannot write \(stdinPath)")
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, scratch + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, scratch + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
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

    private static func NSTemporaryDirectoryPath() -> String {
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return tmp.hasSuffix("/") ? String(tmp.dropLast()) : tmp
    }
}
