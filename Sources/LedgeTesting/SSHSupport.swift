import Foundation
internal import LedgeCore

/// The processes of the host as `/proc` shows them, for the SSH harness: finding an sshd of ours
/// (also one left by an earlier test run that was killed), its connection processes and the
/// processes of a test user, and ending them by process id.
enum HostProcesses {
    struct Entry {
        var pid: pid_t
        var parent: pid_t
        /// The owner of `/proc/PID` (the effective user id).
        var uid: uid_t
        /// True for a process that has ended but was not reaped yet.
        var zombie: Bool
        /// `/proc/PID/cmdline` with NULs as spaces; sshd rewrites its own (`sshd: USER [priv]`,
        /// `sshd: /usr/sbin/sshd -D -e -f CONFIG [listener] …`).
        var commandLine: String
    }

    /// Every process that could be read (processes ending while being read are left out).
    static func all() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name -> Entry? in
            guard let pid = pid_t(name) else { return nil }
            return entry(pid)
        }
    }

    static func entry(_ pid: pid_t) -> Entry? {
        guard let text = try? ProcFile.text("/proc/\(pid)/stat"),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // pid (comm) state ppid …; comm may hold spaces and parentheses.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let parent = pid_t(fields[1]) else { return nil }
        var info = stat()
        guard lstat("/proc/\(pid)", &info) == 0 else { return nil }
        let commandLine = ((try? ProcFile.text("/proc/\(pid)/cmdline")) ?? "")
            .split(separator: "\0").joined(separator: " ")
        return Entry(pid: pid, parent: parent, uid: info.st_uid, zombie: fields[0] == "Z", commandLine: commandLine)
    }

    /// The client ends of TCP connections to `address`:`port` that are still open (established,
    /// or closed by the server and not yet by the client), from `/proc/net/tcp`: an `ssh`
    /// ControlMaster holds one until it notices that the server is gone.
    static func openConnections(to address: String, port: Int) -> Int {
        guard let table = try? ProcFile.text("/proc/net/tcp") else { return 0 }
        // rem_address is the IPv4 address as little-endian hex, then the port in hex.
        let octets = address.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return 0 }
        let remote = octets.reversed().map { String(format: "%02X", $0) }.joined() + ":" + String(format: "%04X", port)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[2] == remote && (fields[3] == "01" || fields[3] == "08")  // ESTABLISHED, CLOSE_WAIT
        }.count
    }

    /// Kills `root` and every process below it with SIGKILL. The root is stopped first (SIGSTOP)
    /// so that it cannot fork while its descendants are collected.
    static func killTree(_ root: pid_t) {
        kill(root, SIGSTOP)
        let entries = all()
        var children: [pid_t: [pid_t]] = [:]
        for entry in entries { children[entry.parent, default: []].append(entry.pid) }
        var tree: [pid_t] = []
        var queue = [root]
        while let pid = queue.popLast() {
            tree.append(pid)
            queue += children[pid] ?? []
        }
        for pid in tree { kill(pid, SIGKILL) }
    }

    /// Kills (SIGKILL) every live process matching `predicate` until none is left or `timeout`
    /// seconds pass (processes may fork while being killed); returns the ones still alive.
    @discardableResult
    static func killAll(matching predicate: (Entry) -> Bool, timeout: TimeInterval = 5) -> [Entry] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let found = all().filter { !$0.zombie && predicate($0) }
            if found.isEmpty || Date() > deadline { return found }
            for entry in found { kill(entry.pid, SIGKILL) }
            usleep(10_000)
        }
    }
}

/// An exclusive `flock` on `/run/ledge-ssh/ADDRESS.lock`, held while a fleet uses that address.
/// It serialises fleets on the same addresses, in this test process and in others (another
/// worktree's test run), and it dies with its holder: whoever takes it may treat any user,
/// sshd or mount left for that address as stale, from a run killed half-way.
final class AddressLock: @unchecked Sendable {
    static let directory = "/run/ledge-ssh"
    let path: String
    /// The folders the previous holder recorded (``record(folders:)``): left behind when it was
    /// killed, for the new holder to remove.
    let previousFolders: [String]
    private var fd: Int32

    private init(path: String, fd: Int32, previousFolders: [String]) {
        self.path = path
        self.fd = fd
        self.previousFolders = previousFolders
    }

    /// Takes the lock, polling until `timeout` passes (then fails, naming the holder's pid). The
    /// fleet tests of one run queue on 127.0.0.2 one after another, and under load their sum has
    /// passed 300 s; a lock that is never released is the run's time limit's to report.
    static func acquire(address: String, timeout: Duration = .seconds(900)) async throws -> AddressLock {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/\(address).lock"
        // O_CLOEXEC: an sshd we start must not inherit the lock (it would outlive a killed test).
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HarnessError("cannot open \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").first ?? "?"
            FileHandle.standardError.write(Data("LedgeTesting: waiting for \(address), in use by process \(holder)\n".utf8))
        }
        let locked = await waitUntil(timeout: timeout, interval: .milliseconds(100)) { flock(fd, LOCK_EX | LOCK_NB) == 0 }
        guard locked else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").first ?? "?"
            close(fd)
            throw HarnessError("SSHFleet: \(address) is still in use by process \(holder) after \(timeout) (lock \(path))")
        }
        let previous = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").dropFirst().map(String.init) ?? []
        let lock = AddressLock(path: path, fd: fd, previousFolders: previous)
        lock.record(folders: [])
        return lock
    }

    /// Writes the holder's pid and `folders` (one a line) into the lock file.
    func record(folders: [String]) {
        guard fd >= 0 else { return }
        let text = ([String(getpid())] + folders).map { $0 + "\n" }.joined()
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

/// The local accounts the harness creates for its test devices (`ledgetestN`), marked by their
/// comment field so that an account the harness did not make is never deleted.
enum TestAccounts {
    /// The GECOS comment of every account the harness creates.
    static let marker = "LedgeTesting SSHDevice"
    /// useradd and userdel lock /etc/passwd: one at a time in this process.
    private static let lock = NSLock()

    struct Account {
        var uid: uid_t
        var gid: gid_t
        var home: String
        var comment: String
    }

    static func lookup(_ name: String) -> Account? {
        lock.withLock {
            guard let entry = getpwnam(name) else { return nil }
            return Account(
                uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, home: String(cString: entry.pointee.pw_dir),
                comment: String(cString: entry.pointee.pw_gecos))
        }
    }

    static func groupExists(_ name: String) -> Bool { lock.withLock { getgrnam(name) != nil } }

    /// A new account `name` with its own group, home `home` (from /etc/skel), shell `/bin/sh`, and
    /// the password `*`: no password matches it, but the account is not locked (`!`), which sshd
    /// without PAM would refuse even for a public key.
    static func create(_ name: String, home: String) throws -> Account {
        try Tool.require("/usr/sbin/useradd", debianPackage: "passwd")
        _ = try lock.withLock {
            try Tool.runBlocking(
                "/usr/sbin/useradd",
                ["--create-home", "--home-dir", home, "--shell", "/bin/sh", "--user-group", "--comment", marker, "--password", "*", name],
                environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], timeLimit: 60)
        }
        guard let account = lookup(name) else { throw HarnessError("useradd \(name) succeeded but the account is not there") }
        return account
    }

    /// Deletes account `name` with its home and group (`userdel --remove --force`); the caller has
    /// ended its processes and unmounted anything in its home.
    static func remove(_ name: String) throws {
        try Tool.require("/usr/sbin/userdel", debianPackage: "passwd")
        let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        try lock.withLock {
            if getpwnam(name) != nil {
                do {
                    _ = try Tool.runBlocking("/usr/sbin/userdel", ["--remove", "--force", name], environment: environment, timeLimit: 60)
                } catch let failure as CommandFailure where failure.status == 12 {
                    // 12: the home could not be removed; the caller removes what is left.
                }
            }
            if getgrnam(name) != nil {
                _ = try Tool.runBlocking("/usr/sbin/groupdel", [name], environment: environment, timeLimit: 60)
            }
        }
    }
}

/// The user's OpenSSH client (`ssh`, `scp`, `ssh-keygen` from `openssh-client`) as the harness runs it.
enum SSHClient {
    static let ssh = "/usr/bin/ssh"
    static let scp = "/usr/bin/scp"
    static let keygen = "/usr/bin/ssh-keygen"
    /// A clean environment: no agent (`SSH_AUTH_SOCK`), nothing of the caller's.
    static let environment = ["PATH": "/usr/bin:/bin"]

    /// Runs `executable` to its end; its status and output, whatever the status. Throws when it is
    /// killed or runs past `timeLimit` seconds. The output goes to files in a new folder in
    /// `scratch` (removed again).
    ///
    /// Started with `posix_spawn` (``BackgroundProcess``) and reaped by its own pid, not with
    /// Foundation's `Process`: with `Process`, a short `ssh` that had already ended (a zombie) was
    /// seen as running until another, long-running `ssh` started by `Process` ended — measured, a
    /// 0.01 s `ssh` took 8 s beside an 8 s one. (`ssh` closes every descriptor it inherits as it
    /// starts, among them the socket through which `Process` learns that a child ended; Foundation
    /// then seems to wait for that child on the queue that handles all of them.)
    static func run(_ executable: String, _ arguments: [String], scratch: String, timeLimit: TimeInterval) async throws -> RemoteCommandResult {
        let (child, folder) = try spawn(executable, arguments, scratch: scratch)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ended = await waitUntil(timeout: .milliseconds(Int(timeLimit * 1000)), interval: .milliseconds(5)) { !child.isRunning }
        return try finish(child, folder: folder, ended: ended, command: [executable] + arguments)
    }

    /// ``run(_:_:scratch:timeLimit:)`` blocking the calling thread (for clean-up in `defer`).
    static func runBlocking(_ executable: String, _ arguments: [String], scratch: String, timeLimit: TimeInterval) throws -> RemoteCommandResult {
        let (child, folder) = try spawn(executable, arguments, scratch: scratch)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let deadline = Date().addingTimeInterval(timeLimit)
        while child.isRunning && Date() < deadline { usleep(5_000) }
        return try finish(child, folder: folder, ended: !child.isRunning, command: [executable] + arguments)
    }

    private static func spawn(_ executable: String, _ arguments: [String], scratch: String) throws -> (BackgroundProcess, String) {
        let folder = scratch + "/run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        do {
            let child = try BackgroundProcess(
                executable, arguments, environment: environment, stdoutPath: folder + "/stdout", stderrPath: folder + "/stderr")
            return (child, folder)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    private static func finish(_ child: BackgroundProcess, folder: String, ended: Bool, command: [String]) throws -> RemoteCommandResult {
        let exit = child.stop(grace: 0)
        let stdout = BackgroundProcess.text(folder + "/stdout"), stderr = BackgroundProcess.text(folder + "/stderr")
        guard ended, !exit.signaled else {
            throw CommandFailure(command: command, status: exit.status, signaled: exit.signaled, timedOut: !ended, stdout: stdout, stderr: stderr)
        }
        return RemoteCommandResult(status: exit.status, stdout: stdout, stderr: stderr)
    }

    /// A new ed25519 key pair without passphrase at `path` and `path.pub`; returns `ssh-ed25519 BASE64`.
    static func generateKey(path: String, comment: String) async throws -> String {
        try Tool.require(keygen, debianPackage: "openssh-client")
        _ = try await Tool.run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], environment: environment)
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8)
        return line.split(separator: " ").prefix(2).joined(separator: " ")
    }
}
