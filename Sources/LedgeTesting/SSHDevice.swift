public import Foundation

/// What a command run over ssh gave.
public struct RemoteCommandResult: Sendable, CustomStringConvertible {
    /// ssh's exit status: the remote command's own, or 255 when ssh itself failed (connection
    /// refused, host key verification failed, …).
    public var status: Int32
    /// What the remote command wrote to standard output.
    public var stdout: String
    /// The remote command's standard error, with ssh's own messages.
    public var stderr: String

    public var description: String { "status \(status); stdout: \(stdout); stderr: \(stderr)" }
}

/// One test device for `ledge deploy`: a real OpenSSH server (Debian's `/usr/sbin/sshd`, its own
/// process with its own `sshd_config` and ed25519 host key) listening on its own loopback
/// address, e.g. `127.0.0.2:PORT` (a free port: a system sshd on `0.0.0.0:22` does not get in
/// the way), and a local test user made for it, e.g. `ledgetest2` with home `/home/ledgetest2`,
/// shell `/bin/sh`, the fleet's key in `~/.ssh/authorized_keys` and the release directory
/// `~/ledge`.
///
/// Made and removed by ``SSHFleet`` (see ``SSHFleet/withFleet(addresses:isolation:_:)``): the
/// client side is the fleet's `ssh_config` (``configPath``), so `ssh -F CONFIG ALIAS` reaches
/// the device as a deploy would.
///
/// The server accepts only public-key logins of its user (`AllowUsers`, no passwords, no
/// keyboard-interactive, `UsePAM no`, `StrictModes yes`) and serves SFTP (`internal-sftp`) for
/// `scp` and `sftp`. Its log (`sshd -D -e`) is ``sshdLogPath``.
public final class SSHDevice: @unchecked Sendable {
    /// Debian's OpenSSH server.
    public static let sshdExecutable = "/usr/sbin/sshd"

    /// The loopback address the server listens on, e.g. `127.0.0.2`.
    public let address: String
    /// The port it listens on.
    public let port: Int
    /// The user the client logs in as, e.g. `ledgetest2`.
    public let user: String
    /// The `Host` of the fleet's `ssh_config` for this device, e.g. `device2`.
    public let alias: String
    /// The user's home, e.g. `/home/ledgetest2`.
    public let home: String
    /// Where releases go: `HOME/ledge`, owned by the user (mode 755).
    public let releaseDirectory: String
    /// The server's own folder (config, host key, pid file, log): `FLEET/ADDRESS`.
    public let directory: String
    /// The fleet's client configuration (`ssh -F`).
    public let configPath: String
    /// The user's numeric id.
    public let uid: UInt32
    /// The numeric id of the user's own group.
    public let gid: UInt32

    /// The server's configuration.
    public var sshdConfigPath: String { directory + "/sshd_config" }
    /// The server's standard output and error (`-e`: its log lines), since it was last started.
    public var sshdLogPath: String { directory + "/sshd.log" }
    /// The private host key.
    public var hostKeyPath: String { directory + "/ssh_host_ed25519_key" }
    /// The current host public key, `ssh-ed25519 BASE64` (what a known_hosts line holds after
    /// the host pattern).
    public var hostPublicKey: String { lock.withLock { currentHostKey } }
    /// The `known_hosts` host pattern of the device: `[127.0.0.2]:PORT`.
    public var knownHostsPattern: String { "[\(address)]:\(port)" }
    /// True while the server runs (between ``startSSHD()`` and ``stopSSHD()``).
    public var isSSHDRunning: Bool { lock.withLock { sshd?.isRunning ?? false } }

    private let lock = NSLock()
    private var sshd: BackgroundProcess?
    private var currentHostKey: String
    private var diskLimited = false

    private init(
        address: String, port: Int, user: String, alias: String, home: String, directory: String, configPath: String, uid: UInt32,
        gid: UInt32, hostKey: String, sshd: BackgroundProcess
    ) {
        self.address = address
        self.port = port
        self.user = user
        self.alias = alias
        self.home = home
        self.releaseDirectory = home + "/ledge"
        self.directory = directory
        self.configPath = configPath
        self.uid = uid
        self.gid = gid
        self.currentHostKey = hostKey
        self.sshd = sshd
    }

    deinit { lock.withLock { sshd }?.stop(grace: 0) }

    // MARK: Remote commands

    /// Runs `command` on the device with `ssh -F CONFIG ALIAS COMMAND` (the user's login shell,
    /// `/bin/sh -c`, runs it) and returns its status and output; a non-zero status is returned, not
    /// thrown. Throws when ssh is killed or runs past `timeLimit` seconds.
    public func run(_ command: String, timeLimit: TimeInterval = 60) async throws -> RemoteCommandResult {
        try await SSHClient.run(SSHClient.ssh, ["-F", configPath, alias, command], scratch: directory, timeLimit: timeLimit)
    }

    /// Copies the local file `localPath` to `remotePath` on the device (relative paths are
    /// relative to the user's home) with `scp -F CONFIG` (the SFTP protocol); a failure comes back
    /// as a non-zero status with scp's message.
    public func upload(_ localPath: String, to remotePath: String, timeLimit: TimeInterval = 60) async throws -> RemoteCommandResult {
        try await SSHClient.run(
            SSHClient.scp, ["-F", configPath, "-q", localPath, "\(alias):\(remotePath)"], scratch: directory, timeLimit: timeLimit)
    }

    // MARK: Faults

    /// Cuts the device off as a crashed or rebooting device would: kills its sshd (SIGKILL) with
    /// every connection it serves, and every process of its user (a transfer in progress ends
    /// half-way; the kernel closes the connections, so the client sees them end at once, status
    /// 255). Then waits (up to 5 s) until no client holds a connection to the device any more (a
    /// ControlMaster, the fleet's or one with its own ControlPath, ends when it sees the server
    /// gone), so the next `ssh` opens a new connection (and is refused while the server is stopped).
    public func stopSSHD() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.stopServer()
                continuation.resume()
            }
        }
    }

    /// Cuts the device's link as a network failure would, leaving the device itself running:
    /// kills its sshd (SIGKILL) with every connection it serves and what those run (a transfer
    /// in progress ends half-way), but not the user's detached processes (servers started with
    /// setsid/nohup go on serving). Returns once no client holds a connection to the device;
    /// blocks its thread meanwhile (a test's own thread may call it).
    public func cutLinkNow() { killServer(alsoEveryProcessOfTheUser: false) }

    /// Starts the server again (same address, port, config and current host key) and returns once
    /// it listens; nothing happens while it runs.
    public func startSSHD() async throws {
        if isSSHDRunning { return }
        let server = try await Self.launch(directory: directory, address: address, port: port)
        let previous = lock.withLock {
            defer { sshd = server }
            return sshd
        }
        previous?.stop(grace: 0)
    }

    /// Gives the server a new host key (restarting it; its connections end): the fleet's
    /// known_hosts still holds the old key, so `ssh` now refuses the device with status 255 and
    /// "REMOTE HOST IDENTIFICATION HAS CHANGED" / "Host key verification failed.", until
    /// ``SSHFleet/trustCurrentHostKeys()``. Returns the new public key.
    @discardableResult
    public func replaceHostKey() async throws -> String {
        await stopSSHD()
        let key = try await Self.generateHostKey(directory: directory, alias: alias)
        lock.withLock { currentHostKey = key }
        try await startSSHD()
        return key
    }

    /// Gives the release directory only `bytes` of space: mounts a tmpfs of that size over it
    /// (owned by the user, mode 755), hiding what was there; a second call resizes it keeping its
    /// contents. Writing past the limit fails with "No space left on device". Unmounted by
    /// ``removeDiskLimit()`` and, always, when the fleet ends.
    public func limitDisk(bytes: Int) async throws {
        try Tool.require("/usr/bin/mount", debianPackage: "mount")
        let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        if lock.withLock({ diskLimited }) {
            _ = try await Tool.run("/usr/bin/mount", ["-o", "remount,size=\(bytes)", releaseDirectory], environment: environment)
        } else {
            _ = try await Tool.run(
                "/usr/bin/mount",
                ["-t", "tmpfs", "-o", "size=\(bytes),mode=0755,uid=\(uid),gid=\(gid)", "ledge-test-disk", releaseDirectory],
                environment: environment)
            lock.withLock { diskLimited = true }
        }
    }

    /// Unmounts the tmpfs of ``limitDisk(bytes:)`` (lazily, even while in use); its files are gone
    /// and the release directory shows what it held before.
    public func removeDiskLimit() {
        for point in MountTable.mountPoints(under: releaseDirectory).reversed() { _ = umount2(point, Int32(MNT_DETACH)) }
        lock.withLock { diskLimited = false }
    }

    /// The server's log since it was last started.
    public func sshdLog() -> String { BackgroundProcess.text(sshdLogPath) }

    // MARK: Making and removing

    /// `127.0.0.N` → N (2…254), the number in the device's user name and alias.
    static func deviceNumber(_ address: String) throws -> Int {
        let parts = address.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0...2] == ["127", "0", "0"], let number = Int(parts[3]), (2...254).contains(number),
            String(number) == parts[3]
        else { throw HarnessError("SSHFleet: device addresses are 127.0.0.N with N in 2…254 (loopback only), got '\(address)'") }
        return number
    }

    /// Makes the device for `address`: clears what an earlier run left for it, creates its user,
    /// home, authorized key and release directory, its host key and config, and starts its server.
    /// The caller holds the address's ``AddressLock``. On failure nothing of the device is left.
    static func make(address: String, fleetDirectory: String, configPath: String, identityPublicKey: String) async throws -> SSHDevice {
        let number = try deviceNumber(address)
        let user = "ledgetest\(number)", home = "/home/ledgetest\(number)"
        try removeLeftovers(address: address, user: user, home: home)
        do {
            let account = try TestAccounts.create(user, home: home)
            let sshFolder = home + "/.ssh"
            try makeOwnedDirectory(sshFolder, mode: 0o700, uid: account.uid, gid: account.gid)
            try Data((identityPublicKey + "\n").utf8).write(to: URL(fileURLWithPath: sshFolder + "/authorized_keys"))
            try own(sshFolder + "/authorized_keys", mode: 0o600, uid: account.uid, gid: account.gid)
            try makeOwnedDirectory(home + "/ledge", mode: 0o755, uid: account.uid, gid: account.gid)

            let directory = fleetDirectory + "/" + address
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let hostKey = try await generateHostKey(directory: directory, alias: "device\(number)")
            // A free port on the device's own address; it may be taken before sshd binds it: retry.
            for _ in 0..<5 {
                let port = try freeLoopbackPort(address: address)
                try sshdConfig(directory: directory, address: address, port: port, user: user).write(
                    toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
                let server: BackgroundProcess
                do {
                    server = try await launch(directory: directory, address: address, port: port)
                } catch let error as HarnessError where error.message.contains("Address already in use") {
                    continue
                }
                return SSHDevice(
                    address: address, port: port, user: user, alias: "device\(number)", home: home, directory: directory,
                    configPath: configPath, uid: account.uid, gid: account.gid, hostKey: hostKey, sshd: server)
            }
            throw HarnessError("sshd for \(address): no free port after 5 tries")
        } catch {
            try? removeLeftovers(address: address, user: user, home: home)
            throw error
        }
    }

    /// Removes the device: its server and every process of its user, the disk limit, the user
    /// with home and group. Blocks; safe to call twice. Problems are reported on standard error.
    func remove() {
        stopServer()
        removeDiskLimit()
        do {
            try Self.removeLeftovers(address: address, user: user, home: home)
        } catch {
            FileHandle.standardError.write(Data("LedgeTesting: removing \(alias) (\(address)): \(error)\n".utf8))
        }
    }

    /// Ends everything the harness may have left for `address`, here or in an earlier test run
    /// killed half-way: sshd processes started with a config of ours for that address (and their
    /// connections), every process of `user`, mounts under `home`, then the user, its group and home.
    /// Refuses to touch a `user` that the harness did not create.
    static func removeLeftovers(address: String, user: String, home: String) throws {
        let configSuffix = "/\(address)/sshd_config"
        for entry in HostProcesses.all()
        where !entry.zombie && entry.commandLine.contains("sshd") && entry.commandLine.contains("ledge-ssh-")
            && entry.commandLine.contains(configSuffix)
        {
            FileHandle.standardError.write(Data("LedgeTesting: killing leftover sshd \(entry.pid) (\(entry.commandLine))\n".utf8))
            HostProcesses.killTree(entry.pid)
        }
        let account = TestAccounts.lookup(user)
        if let account, account.comment != TestAccounts.marker {
            throw HarnessError(
                "SSHFleet: a user '\(user)' exists that LedgeTesting did not create (comment '\(account.comment)'); "
                    + "it is the test user for \(address): remove it (userdel \(user)) or use other addresses")
        }
        let remaining = HostProcesses.killAll { entry in
            entry.uid == account?.uid || entry.commandLine.hasPrefix("sshd: \(user) ") || entry.commandLine.hasPrefix("sshd: \(user)@")
        }
        guard remaining.isEmpty else {
            throw HarnessError("SSHFleet: processes of \(user) survive SIGKILL: \(remaining.map { "\($0.pid) \($0.commandLine)" })")
        }
        for point in MountTable.mountPoints(under: home).reversed() { _ = umount2(point, Int32(MNT_DETACH)) }
        guard MountTable.mountPoints(under: home).isEmpty else {
            throw HarnessError("SSHFleet: cannot unmount \(MountTable.mountPoints(under: home)) under \(home)")
        }
        try TestAccounts.remove(user)
        if FileManager.default.fileExists(atPath: home) { try FileManager.default.removeItem(atPath: home) }
    }

    /// Kills the server with its connections and every process of the user; waits until the
    /// clients' ends of the connections are closed too (ControlMasters noticing, whatever their
    /// ControlPath).
    private func stopServer() { killServer(alsoEveryProcessOfTheUser: true) }

    /// Kills sshd and its sessions (and, when asked, every process of the user), then waits up to
    /// 5 s until no client holds a connection to the device.
    private func killServer(alsoEveryProcessOfTheUser everything: Bool) {
        let server = lock.withLock {
            defer { sshd = nil }
            return sshd
        }
        if let server {
            HostProcesses.killTree(server.pid)
            server.stop(grace: 0)
        }
        HostProcesses.killAll { [uid, user] entry in
            (everything && entry.uid == uid) || entry.commandLine.hasPrefix("sshd: \(user) ") || entry.commandLine.hasPrefix("sshd: \(user)@")
        }
        let deadline = Date().addingTimeInterval(5)
        while HostProcesses.openConnections(to: address, port: port) > 0 && Date() < deadline { usleep(10_000) }
    }

    /// Starts sshd in the foreground (`-D`), logging to standard error (`-e`, into ``sshdLogPath``),
    /// and returns once it logs "Server listening on ADDRESS port PORT." (after `listen`).
    private static func launch(directory: String, address: String, port: Int) async throws -> BackgroundProcess {
        // The privilege separation directory (the package's tmpfiles.d makes it at boot, not in a container).
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let log = directory + "/sshd.log"
        let server = try BackgroundProcess(
            sshdExecutable, ["-D", "-e", "-f", directory + "/sshd_config"], environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
            stdoutPath: log, stderrPath: log)
        let listening = "Server listening on \(address) port \(port)."
        _ = await waitUntil(timeout: .seconds(10), interval: .milliseconds(10)) {
            !server.isRunning || BackgroundProcess.text(log).contains(listening)
        }
        if server.isRunning && BackgroundProcess.text(log).contains(listening) { return server }
        server.stop(grace: 0)
        throw HarnessError("sshd did not start listening on \(address):\(port); log:\n\(BackgroundProcess.text(log))")
    }

    /// A new ed25519 host key in `directory` (replacing one there); returns `ssh-ed25519 BASE64`.
    private static func generateHostKey(directory: String, alias: String) async throws -> String {
        let path = directory + "/ssh_host_ed25519_key"
        for file in [path, path + ".pub"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.removeItem(atPath: file)
        }
        return try await SSHClient.generateKey(path: path, comment: "ledge-test \(alias) host key")
    }

    private static func sshdConfig(directory: String, address: String, port: Int, user: String) -> String {
        """
        # LedgeTesting SSHDevice \(address): generated for a test, removed with its fleet.
        ListenAddress \(address):\(port)
        HostKey \(directory)/ssh_host_ed25519_key
        PidFile \(directory)/sshd.pid
        AllowUsers \(user)
        PermitRootLogin no
        AuthorizedKeysFile .ssh/authorized_keys
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes yes
        UseDNS no
        PrintMotd no
        PrintLastLog no
        X11Forwarding no
        AllowAgentForwarding no
        LoginGraceTime 30
        MaxStartups 30:30:100
        Subsystem sftp internal-sftp

        """
    }

    private static func makeOwnedDirectory(_ path: String, mode: mode_t, uid: UInt32, gid: UInt32) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try own(path, mode: mode, uid: uid, gid: gid)
    }

    private static func own(_ path: String, mode: mode_t, uid: UInt32, gid: UInt32) throws {
        guard chown(path, uid, gid) == 0, chmod(path, mode) == 0 else {
            throw HarnessError("cannot give \(path) to \(uid):\(gid): \(String(cString: strerror(errno)))")
        }
    }
}

/// Several ``SSHDevice``s — the fleet `ledge deploy` tests deploy to — and the client side: an
/// ed25519 key pair, a `known_hosts` with each device's host key, and an `ssh_config` with one
/// `Host` per device, so that `ssh -F CONFIG device2` reaches `127.0.0.2`:
///
/// ```
/// Host device2
///     HostName 127.0.0.2
///     Port 40123
///     User ledgetest2
///     IdentityFile "FLEET/id_ed25519"
///     IdentitiesOnly yes
///     UserKnownHostsFile "FLEET/known_hosts"
///     GlobalKnownHostsFile /dev/null
///     StrictHostKeyChecking yes
///     UpdateHostKeys no
///     BatchMode yes
///     ConnectTimeout 10
///     ControlMaster auto
///     ControlPath "/tmp/ledge-mux.XXXXXX/%C"
///     ControlPersist 60
/// ```
///
/// A fleet needs root (it creates users and starts sshd) and Debian's `openssh-server` and
/// `openssh-client` (set-up installs them; a missing one is an error, not a skip). Each address
/// is held with an exclusive lock (`/run/ledge-ssh/ADDRESS.lock`) while a fleet uses it, so
/// fleets on the same addresses take turns, in this test process and across processes; whatever
/// an earlier run killed half-way left for an address (its sshd, the user's processes, mounts,
/// the user and home) is removed before the device is made. Prefer
/// ``withFleet(addresses:isolation:_:)``, which removes everything even when the test throws.
public final class SSHFleet: @unchecked Sendable {
    /// Three devices: 127.0.0.2, 127.0.0.3 and 127.0.0.4.
    public static let defaultAddresses = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]

    /// The devices, in the order of the addresses given.
    public let devices: [SSHDevice]
    /// The client side's folder (and the servers' folders below it, one per address).
    public let directory: String
    /// The folder of the ControlMaster sockets: short (`/tmp/ledge-mux.XXXXXX`), as a socket path
    /// must fit 108 bytes.
    public let controlDirectory: String
    /// The client configuration: `ssh -F CONFIG ALIAS`, `scp -F CONFIG`, `sftp -F CONFIG`.
    public var configPath: String { directory + "/ssh_config" }
    /// The client's known hosts: one `[ADDRESS]:PORT ssh-ed25519 KEY` line per device.
    public var knownHostsPath: String { directory + "/known_hosts" }
    /// The private key the client logs in with (`.pub` beside it; in every device's authorized keys).
    public var identityPath: String { directory + "/id_ed25519" }

    private let locks: [AddressLock]
    private let lock = NSLock()
    private var stopped = false

    private init(devices: [SSHDevice], directory: String, controlDirectory: String, locks: [AddressLock]) {
        self.devices = devices
        self.directory = directory
        self.controlDirectory = controlDirectory
        self.locks = locks
    }

    deinit { stop() }

    /// The device with `alias` (`device2`) or `address` (`127.0.0.2`).
    public subscript(_ name: String) -> SSHDevice? { devices.first { $0.alias == name || $0.address == name } }

    /// Makes one device per address (each `127.0.0.N`, N in 2…254) and the client files, and
    /// returns once every server listens. Waits while another fleet holds one of the addresses.
    public static func start(addresses: [String] = defaultAddresses) async throws -> SSHFleet {
        guard geteuid() == 0 else { throw HarnessError("SSHFleet needs root: it creates users and starts sshd") }
        try Tool.require(SSHDevice.sshdExecutable, debianPackage: "openssh-server")
        for tool in [SSHClient.ssh, SSHClient.scp, SSHClient.keygen] { try Tool.require(tool, debianPackage: "openssh-client") }
        guard getpwnam("sshd") != nil else {
            throw HarnessError("no 'sshd' user (sshd's privilege separation): reinstall the Debian package 'openssh-server'")
        }
        for address in addresses { _ = try SSHDevice.deviceNumber(address) }
        guard !addresses.isEmpty, Set(addresses).count == addresses.count else {
            throw HarnessError("SSHFleet: give one or more different addresses, got \(addresses)")
        }

        var locks: [AddressLock] = []
        var devices: [SSHDevice] = []
        var directory: String?
        var controlDirectory: String?
        do {
            let started = ContinuousClock.now
            var phases: [String] = []
            // In one order, so that two fleets sharing addresses cannot each hold one the other waits for.
            for address in addresses.sorted() { locks.append(try await AddressLock.acquire(address: address)) }
            phases.append("locks \(ContinuousClock.now - started)")
            let fleetDirectory = try makeTemporaryDirectory(prefix: "ledge-ssh")
            directory = fleetDirectory
            var template = Array("/tmp/ledge-mux.XXXXXX".utf8CString)
            controlDirectory = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!).map { String(cString: $0) } }
            guard let controlDirectory else {
                throw HarnessError("mkdtemp /tmp/ledge-mux.XXXXXX failed: \(String(cString: strerror(errno)))")
            }
            for lock in locks { lock.record(folders: [fleetDirectory, controlDirectory]) }
            let identity = try await SSHClient.generateKey(path: fleetDirectory + "/id_ed25519", comment: "ledge-test deploy key")
            for address in addresses {
                let begun = ContinuousClock.now
                devices.append(
                    try await SSHDevice.make(
                        address: address, fleetDirectory: fleetDirectory, configPath: fleetDirectory + "/ssh_config",
                        identityPublicKey: identity))
                phases.append("\(address) \(ContinuousClock.now - begun)")
            }
            let fleet = SSHFleet(devices: devices, directory: fleetDirectory, controlDirectory: controlDirectory, locks: locks)
            try fleet.writeClientConfig()
            try fleet.trustCurrentHostKeys()
            if ContinuousClock.now - started > .seconds(2) {
                FileHandle.standardError.write(Data("LedgeTesting: SSHFleet start-up was slow: \(phases.joined(separator: ", "))\n".utf8))
            }
            // The folders of a fleet killed half-way on these addresses (its sshd is gone now).
            for folder in Set(locks.flatMap(\.previousFolders))
            where (folder.contains("/ledge-ssh-") || folder.hasPrefix("/tmp/ledge-mux.")) && FileManager.default.fileExists(atPath: folder) {
                FileHandle.standardError.write(Data("LedgeTesting: removing leftover folder \(folder)\n".utf8))
                removeTemporaryDirectory(folder)
            }
            return fleet
        } catch {
            for device in devices { device.remove() }
            if let directory { removeTemporaryDirectory(directory) }
            if let controlDirectory { removeTemporaryDirectory(controlDirectory) }
            for lock in locks { lock.release() }
            throw error
        }
    }

    /// Runs `body` with a started fleet and removes it afterwards, also when `body` throws.
    public static func withFleet<T>(
        addresses: [String] = defaultAddresses, isolation: isolated (any Actor)? = #isolation, _ body: (SSHFleet) async throws -> T
    ) async throws -> T {
        let fleet = try await start(addresses: addresses)
        defer { fleet.stop() }
        return try await body(fleet)
    }

    /// Removes everything: ends the client's ControlMaster connections, then each device (server,
    /// its connections and the user's processes, disk limit, user, home, group), the folders and
    /// the locks. Blocks; safe to call twice.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        for device in devices {
            _ = try? SSHClient.runBlocking(SSHClient.ssh, ["-F", configPath, "-O", "exit", device.alias], scratch: directory, timeLimit: 5)
        }
        for device in devices { device.remove() }
        removeTemporaryDirectory(directory)
        removeTemporaryDirectory(controlDirectory)
        for lock in locks { lock.release() }
    }

    /// Rewrites `known_hosts` with each device's current host key: after
    /// ``SSHDevice/replaceHostKey()``, what an operator accepting the new key would do.
    public func trustCurrentHostKeys() throws {
        let lines = devices.map { "\($0.knownHostsPattern) \($0.hostPublicKey)\n" }.joined()
        try lines.write(toFile: knownHostsPath, atomically: true, encoding: .utf8)
    }

    private func writeClientConfig() throws {
        var text = "# LedgeTesting SSHFleet: the client side of the test devices (ssh -F THIS ALIAS).\n"
        for device in devices {
            text += """

                Host \(device.alias)
                    HostName \(device.address)
                    Port \(device.port)
                    User \(device.user)
                    IdentityFile "\(identityPath)"
                    IdentitiesOnly yes
                    UserKnownHostsFile "\(knownHostsPath)"
                    GlobalKnownHostsFile /dev/null
                    StrictHostKeyChecking yes
                    UpdateHostKeys no
                    BatchMode yes
                    ConnectTimeout 10
                    ControlMaster auto
                    ControlPath "\(controlDirectory)/%C"
                    ControlPersist 60

                """
        }
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }
}
