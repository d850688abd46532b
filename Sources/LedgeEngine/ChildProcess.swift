internal import CLedgeProcess
internal import Dispatch
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// A child process started the way Foundation's `Process` starts one on Linux
/// (see `ledge_spawn`), without Foundation.
struct ChildProcess {
    /// How a child ended: `status` is its exit status or the signal that killed it.
    enum TerminationReason: Sendable, Equatable {
        case exit
        case uncaughtSignal
    }

    /// Why a child could not be started, worded as Foundation's `Process.run()` errors are.
    struct StartError: Error, CustomStringConvertible {
        let description: String

        init(errno code: Int32) {
            let reason =
                switch code {
                case ENOENT: "The file doesn’t exist."
                case EPERM, EACCES: "You don’t have permission."
                default: String(cString: strerror(code))
                }
            description = "The operation could not be completed. " + reason
        }
    }

    let pid: pid_t
    private let exit: DispatchSemaphore
    private let status: Status

    private final class Status: @unchecked Sendable {
        var raw: Int32 = 0  // written once, before `exit` is signalled
    }

    /// Starts `executable` with `arguments`; stdout and stderr go to `output`.
    /// Checks first, like `Process.run()`, that it is an executable regular file.
    init(executable: String, arguments: [String], output: Int32) throws(StartError) {
        var info = stat()
        guard stat(executable, &info) == 0 else { throw StartError(errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw StartError(errno: ENOENT) }
        guard access(executable, X_OK) == 0 else { throw StartError(errno: errno) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var spawned: Int32 = 0
        let error = ledge_spawn(executable, argv, output, &spawned)
        guard error == 0 else { throw StartError(errno: error) }
        let pid = spawned
        self.pid = pid
        let exit = DispatchSemaphore(value: 0)
        let status = Status()
        DispatchQueue.global().async {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status.raw = raw
            exit.signal()
        }
        self.exit = exit
        self.status = status
    }

    /// Waits until the child has ended, at most until `deadline`; `nil` when it has not.
    func wait(until deadline: DispatchTime = .distantFuture) -> (reason: TerminationReason, status: Int32)? {
        guard exit.wait(timeout: deadline) == .success else { return nil }
        exit.signal()  // a later wait returns at once
        let raw = status.raw
        let signal = raw & 0x7f
        return signal != 0 && signal != 0x7f ? (.uncaughtSignal, signal) : (.exit, (raw >> 8) & 0xff)
    }
}
