public import Foundation
internal import LedgeCore

/// A program from an image's root filesystem, run the way a container runtime would run it
/// without one: `chroot` into the rootfs as an unprivileged user (uid and gid 65532 by default,
/// distroless's `nonroot`, no supplementary groups), with only the environment given (nothing
/// of the host's), the working directory `/`, an empty signal mask, and standard output and
/// error in files outside the rootfs.
///
/// Like a runtime it gives the program a fresh `/proc` and a small `/dev` (a tmpfs with `null`,
/// `zero`, `full`, `random`, `urandom`) unless asked not to. `ledge` needs both: without `/proc`
/// the Swift runtime sees no command-line arguments (it reads them from `/proc/self/cmdline`;
/// `ledge serve …` then prints the top-level help), and the model probe starts its child with
/// `/dev/null` as standard input.
///
/// It runs as `unshare --mount --propagation private sh -c 'mount …; exec chroot
/// --userspec=UID:GID ROOTFS COMMAND…'` (the host's `/bin/sh`, before the chroot): every step
/// `exec`s, so ``pid`` is the program's own process id. The mounts are made in the child's own
/// mount namespace, so they exist only for it and vanish with it: even a test process killed
/// with SIGKILL leaves no mount behind on the host. Only a missing `/proc` or `/dev` folder is
/// created in the rootfs (and removed again by ``terminate(grace:)``).
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
    /// The program's process id (the same through `unshare`, `sh` and `chroot`, which exec).
    public var pid: Int32 { child.pid }
    /// Where its standard output and standard error go (outside the rootfs).
    public var stdoutPath: String { child.stdoutPath }
    public var stderrPath: String { child.stderrPath }

    private let child: BackgroundProcess
    private let logs: String
    private let madeFolders: [String]
    private let lock = NSLock()
    private var terminated = false
    private var logsRemoved = false

    private init(rootfs: String, child: BackgroundProcess, logs: String, madeFolders: [String]) {
        self.rootfs = rootfs
        self.child = child
        self.logs = logs
        self.madeFolders = madeFolders
    }

    deinit {
        terminate(grace: 0)
        removeLogs()
    }

    /// Starts `command` (its first element is the program's path inside the rootfs, e.g.
    /// `/usr/bin/ledge`) in `rootfs` as `user`:`group` with exactly `environment`. `mountProc`
    /// and `mountDev` give it `/proc` and `/dev` in its own mount namespace. Needs root (the
    /// tests run as root).
    public static func start(
        rootfs: String, command: [String], environment: [String: String], user: UInt32 = nonroot, group: UInt32 = nonroot,
        mountProc: Bool = true, mountDev: Bool = true
    ) throws -> ChrootProcess {
        try Tool.require("/usr/bin/unshare", debianPackage: "util-linux")
        try Tool.require("/usr/sbin/chroot", debianPackage: "coreutils")
        try Tool.require("/usr/bin/mount", debianPackage: "mount")
        guard let first = command.first, first.hasPrefix("/") else {
            throw HarnessError("ChrootProcess: the command must start with an absolute path inside the rootfs, got \(command)")
        }
        guard let resolved = realpath(rootfs, nil) else { throw HarnessError("ChrootProcess: no rootfs at \(rootfs)") }
        let root = String(cString: resolved)
        free(resolved)
        guard root != "/" else { throw HarnessError("ChrootProcess: the rootfs must not be /") }

        var madeFolders: [String] = []
        for (wanted, folder) in [(mountProc, "/proc"), (mountDev, "/dev")] where wanted {
            if !FileManager.default.fileExists(atPath: root + folder) {
                try FileManager.default.createDirectory(atPath: root + folder, withIntermediateDirectories: false)
                madeFolders.append(root + folder)
            }
        }
        // $1 rootfs, $2 uid:gid, $3 keep PWD (dash exports one), $4 mount /proc, $5 mount /dev, then the command.
        let script = """
            set -e
            root=$1; user=$2; keep_pwd=$3; proc=$4; dev=$5; shift 5
            if [ "$proc" = 1 ]; then /usr/bin/mount -t proc -o nosuid,nodev,noexec proc "$root/proc"; fi
            if [ "$dev" = 1 ]; then
              /usr/bin/mount -t tmpfs -o nosuid,noexec,mode=755,size=64k ledge-dev "$root/dev"
              /usr/bin/mknod -m 666 "$root/dev/null" c 1 3
              /usr/bin/mknod -m 666 "$root/dev/zero" c 1 5
              /usr/bin/mknod -m 666 "$root/dev/full" c 1 7
              /usr/bin/mknod -m 666 "$root/dev/random" c 1 8
              /usr/bin/mknod -m 666 "$root/dev/urandom" c 1 9
            fi
            if [ "$keep_pwd" != 1 ]; then unset PWD; fi
            exec /usr/sbin/chroot --userspec="$user" "$root" "$@"
            """
        let arguments =
            ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "ledge-chroot", root, "\(user):\(group)"]
            + [environment["PWD"] == nil ? "0" : "1", mountProc ? "1" : "0", mountDev ? "1" : "0"] + command
        let logs = try makeTemporaryDirectory(prefix: "ledge-chroot-logs")
        do {
            let child = try BackgroundProcess(
                "/usr/bin/unshare", arguments, environment: environment, stdoutPath: logs + "/stdout", stderrPath: logs + "/stderr")
            return ChrootProcess(rootfs: root, child: child, logs: logs, madeFolders: madeFolders)
        } catch {
            removeTemporaryDirectory(logs)
            for folder in madeFolders { try? FileManager.default.removeItem(atPath: folder) }
            throw error
        }
    }

    /// Runs `body` with the started process and terminates it afterwards, also when `body` throws.
    public static func withProcess<T>(
        rootfs: String, command: [String], environment: [String: String], user: UInt32 = nonroot, group: UInt32 = nonroot,
        mountProc: Bool = true, mountDev: Bool = true, isolation: isolated (any Actor)? = #isolation,
        _ body: (ChrootProcess) async throws -> T
    ) async throws -> T {
        let process = try start(
            rootfs: rootfs, command: command, environment: environment, user: user, group: group, mountProc: mountProc,
            mountDev: mountDev)
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
    public func mappedFiles() throws -> [String] { try Self.mappedFiles(pid: pid) }

    /// The files mapped into process `pid`, as ``mappedFiles()`` gives them.
    public static func mappedFiles(pid: Int32) throws -> [String] {
        let maps = try ProcFile.text("/proc/\(pid)/maps")
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

    /// Sends SIGTERM, waits up to `grace` seconds, then SIGKILL; reaps the process and removes the
    /// `/proc` and `/dev` folders it made. Returns how the process ended. Safe to call twice. Its output
    /// stays readable until the end of ``withProcess(rootfs:command:environment:user:group:mountProc:mountDev:isolation:_:)``
    /// (or until the object is released).
    @discardableResult
    public func terminate(grace: TimeInterval = 10) -> ProcessExit {
        let exit = child.stop(grace: grace)
        let first = lock.withLock {
            defer { terminated = true }
            return !terminated
        }
        if first { for folder in madeFolders { try? FileManager.default.removeItem(atPath: folder) } }
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
