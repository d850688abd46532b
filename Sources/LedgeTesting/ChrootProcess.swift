public import Foundation

/// A program from an image's root filesystem, run the way a container runtime would run it
/// without one: `chroot` into the rootfs as an unprivileged user (uid and gid 65532 by default,
/// distroless's `nonroot`, no supplementary groups), with only the environment given (nothing
/// of the host's), the working directory `/`, and standard output and error in files.
///
/// It runs as `unshare --mount --propagation private [--mount-proc=ROOTFS/proc] chroot
/// --userspec=UID:GID ROOTFS COMMAND…`: both tools `exec`, so ``pid`` is the program's own
/// process id. The child gets a private mount namespace, so the optional `/proc` mount
/// (`mountProc`) exists only in it and vanishes with the process: even a test process killed
/// with SIGKILL leaves no mount behind on the host. Only when the rootfs has no `/proc` folder
/// does `mountProc` create one (removed again by ``terminate(grace:)``).
///
/// Seen from the host (the test reading `/proc/PID/maps`), the program's mapped files carry
/// the rootfs prefix: the kernel prints each path relative to the reader's root, so the rootfs's
/// `/usr/bin/ledge` shows as `ROOTFS/usr/bin/ledge` (e.g.
/// `/tmp/ledge-rootfs-…/bundle/rootfs/usr/bin/ledge`), with symbolic links resolved. A file that
/// was deleted after mapping gets ` (deleted)` appended; memfd and SysV shared memory mappings
/// show as `/memfd:NAME (deleted)` and `/SYSV…`.
public final class ChrootProcess: @unchecked Sendable {
    /// uid and gid 65532: distroless's `nonroot`, the user the images run as.
    public static let nonroot: UInt32 = 65532

    /// The root filesystem (canonical path).
    public let rootfs: String
    /// The program's process id (the same through `unshare` and `chroot`, which exec).
    public var pid: Int32 { child.pid }
    /// Where its standard output and standard error go (outside the rootfs).
    public var stdoutPath: String { child.stdoutPath }
    public var stderrPath: String { child.stderrPath }

    private let child: BackgroundProcess
    private let logs: String
    private let madeProcFolder: String?
    private let lock = NSLock()
    private var terminated = false
    private var logsRemoved = false

    private init(rootfs: String, child: BackgroundProcess, logs: String, madeProcFolder: String?) {
        self.rootfs = rootfs
        self.child = child
        self.logs = logs
        self.madeProcFolder = madeProcFolder
    }

    deinit {
        terminate(grace: 0)
        removeLogs()
    }

    /// Starts `command` (its first element is the program's path inside the rootfs, e.g.
    /// `/usr/bin/ledge`) in `rootfs` as `user`:`group` with exactly `environment`. With
    /// `mountProc`, a fresh `/proc` is mounted in the child's own mount namespace.
    /// Needs root (the tests run as root).
    public static func start(
        rootfs: String, command: [String], environment: [String: String], user: UInt32 = nonroot, group: UInt32 = nonroot,
        mountProc: Bool = false
    ) throws -> ChrootProcess {
        try Tool.require("/usr/bin/unshare", debianPackage: "util-linux")
        try Tool.require("/usr/sbin/chroot", debianPackage: "coreutils")
        guard let first = command.first, first.hasPrefix("/") else {
            throw HarnessError("ChrootProcess: the command must start with an absolute path inside the rootfs, got \(command)")
        }
        guard let resolved = realpath(rootfs, nil) else { throw HarnessError("ChrootProcess: no rootfs at \(rootfs)") }
        let root = String(cString: resolved)
        free(resolved)
        guard root != "/" else { throw HarnessError("ChrootProcess: the rootfs must not be /") }

        var madeProcFolder: String?
        var unshare = ["--mount", "--propagation", "private"]
        if mountProc {
            let proc = root + "/proc"
            if !FileManager.default.fileExists(atPath: proc) {
                try FileManager.default.createDirectory(atPath: proc, withIntermediateDirectories: false)
                madeProcFolder = proc
            }
            unshare.append("--mount-proc=" + proc)
        }
        let logs = try makeTemporaryDirectory(prefix: "ledge-chroot-logs")
        do {
            let child = try BackgroundProcess(
                "/usr/bin/unshare", unshare + ["/usr/sbin/chroot", "--userspec=\(user):\(group)", root] + command,
                environment: environment, stdoutPath: logs + "/stdout", stderrPath: logs + "/stderr")
            return ChrootProcess(rootfs: root, child: child, logs: logs, madeProcFolder: madeProcFolder)
        } catch {
            removeTemporaryDirectory(logs)
            if let madeProcFolder { try? FileManager.default.removeItem(atPath: madeProcFolder) }
            throw error
        }
    }

    /// Runs `body` with the started process and terminates it afterwards, also when `body` throws.
    public static func withProcess<T>(
        rootfs: String, command: [String], environment: [String: String], user: UInt32 = nonroot, group: UInt32 = nonroot,
        mountProc: Bool = false, isolation: isolated (any Actor)? = #isolation, _ body: (ChrootProcess) async throws -> T
    ) async throws -> T {
        let process = try start(
            rootfs: rootfs, command: command, environment: environment, user: user, group: group, mountProc: mountProc)
        defer {
            process.terminate()
            process.removeLogs()
        }
        return try await body(process)
    }

    /// True until the process has ended.
    public var isRunning: Bool { child.isRunning }

    /// What it wrote to standard output so far.
    public func stdout() -> String { BackgroundProcess.text(stdoutPath) }
    /// What it wrote to standard error so far.
    public func stderr() -> String { BackgroundProcess.text(stderrPath) }

    /// Waits until standard output or error contains `text` (true), the process ends or
    /// `timeout` passes (false).
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(30)) async -> Bool {
        var found = false
        _ = await waitUntil(timeout: timeout) {
            found = stdout().contains(text) || stderr().contains(text)
            return found || !isRunning
        }
        return found || stdout().contains(text) || stderr().contains(text)
    }

    /// The files mapped into the process (`/proc/PID/maps`, pathname column), each once, in
    /// address order, as the host sees them: rootfs-prefixed (see the type's documentation).
    /// Pseudo-mappings (`[heap]`, `[stack]`, `[vdso]`, …) and anonymous memory are left out.
    public func mappedFiles() throws -> [String] {
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        var seen = Set<String>()
        var files: [String] = []
        for line in maps.split(separator: "\n") {
            // address perms offset dev inode pathname; the pathname may contain spaces.
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { continue }
            let path = fields[5].trimmingCharacters(in: .whitespaces)
            if path.hasPrefix("/"), seen.insert(path).inserted { files.append(path) }
        }
        return files
    }

    /// The mapped files that are not inside the rootfs, leaving out memfd and SysV shared
    /// memory (which have no place in any filesystem); `[]` when the program maps only the
    /// image's own files.
    public func mappedFilesOutsideRootfs() throws -> [String] {
        try mappedFiles().filter { !$0.hasPrefix(rootfs + "/") && !$0.hasPrefix("/memfd:") && !$0.hasPrefix("/SYSV") }
    }

    /// Waits up to `timeout` for the process to end by itself; `nil` while it still runs.
    public func waitForExit(timeout: Duration) async -> ProcessExit? {
        _ = await waitUntil(timeout: timeout) { !isRunning }
        return child.exit
    }

    /// Sends SIGTERM, waits up to `grace` seconds, then SIGKILL; reaps the process and removes a
    /// `/proc` folder it made. Returns how the process ended. Safe to call twice. Its output
    /// stays readable until the end of ``withProcess(rootfs:command:environment:user:group:mountProc:isolation:_:)``
    /// (or until the object is released).
    @discardableResult
    public func terminate(grace: TimeInterval = 10) -> ProcessExit {
        let exit = child.stop(grace: grace)
        let first = lock.withLock {
            defer { terminated = true }
            return !terminated
        }
        if first, let madeProcFolder { try? FileManager.default.removeItem(atPath: madeProcFolder) }
        return exit
    }

    private func removeLogs() {
        let first = lock.withLock {
            defer { logsRemoved = true }
            return !logsRemoved
        }
        if first { removeTemporaryDirectory(logs) }
    }

}
