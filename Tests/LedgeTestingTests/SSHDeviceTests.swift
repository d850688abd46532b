import Foundation
import LedgeTesting
import Testing

/// The SSH device harness against Debian's real OpenSSH server and client. Serialized: fleets on
/// the same addresses take turns anyway, and the checks that everything is gone afterwards must
/// not see the next test's devices.
@Suite(.serialized, .ownThread) struct SSHDeviceTests {
    @Test func threeDevicesAnswerOnTheirOwnAddressesAndTakeFiles() async throws {
        let started = ContinuousClock.now
        var startUp = Duration.zero
        var seen: (directory: String, control: String, devices: [(user: String, home: String, release: String)]) = ("", "", [])
        try await SSHFleet.withFleet { fleet in
            startUp = ContinuousClock.now - started
            print("SSHFleet: three devices started in \(startUp)")
            seen = (fleet.directory, fleet.controlDirectory, fleet.devices.map { ($0.user, $0.home, $0.releaseDirectory) })
            #expect(fleet.devices.map(\.address) == SSHFleet.defaultAddresses)
            #expect(fleet.devices.map(\.alias) == ["device2", "device3", "device4"])
            let knownHosts = try String(contentsOfFile: fleet.knownHostsPath, encoding: .utf8)
            let machine = try ProcessRunner.run("/usr/bin/uname", ["-m"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            for device in fleet.devices {
                #expect(knownHosts.contains("[\(device.address)]:\(device.port) \(device.hostPublicKey)"))
                // The client exactly as deploy code will call it: `ssh -F CONFIG ALIAS`.
                let answer = try ProcessRunner.run(
                    "/usr/bin/ssh", ["-F", fleet.configPath, device.alias, "id -un; uname -m; echo $HOME; echo $SSH_CONNECTION"], timeLimit: 30)
                #expect(answer.status == 0, "\(answer.stderr)\nsshd log:\n\(device.sshdLog())")
                let lines = answer.stdout.split(separator: "\n").map(String.init)
                #expect(lines.count == 4, "\(answer.stdout)")
                guard lines.count == 4 else { continue }
                #expect(lines[0] == device.user)
                #expect(lines[1] == machine)
                #expect(lines[2] == device.home)
                // SSH_CONNECTION: client address and port, server address and port.
                let connection = lines[3].split(separator: " ").map(String.init)
                #expect(connection.count == 4 && connection[2] == device.address && connection[3] == String(device.port), "\(lines[3])")

                // scp (SFTP protocol) into the release directory, then sftp.
                try await withTemporaryDirectory { folder in
                    let payload = "model for \(device.alias)\n"
                    try payload.write(toFile: folder + "/model.bin", atomically: true, encoding: .utf8)
                    let copied = try await device.upload(folder + "/model.bin", to: device.releaseDirectory + "/model.bin")
                    #expect(copied.status == 0, "\(copied)")
                    try "put \(folder)/model.bin ledge/via-sftp.bin\n".write(toFile: folder + "/batch", atomically: true, encoding: .utf8)
                    let sftp = try ProcessRunner.run("/usr/bin/sftp", ["-F", fleet.configPath, "-b", folder + "/batch", device.alias], timeLimit: 30)
                    #expect(sftp.status == 0, "\(sftp.stderr)")
                    let check = try await device.run("cd ledge && cat model.bin && cmp model.bin via-sftp.bin && stat -c %U model.bin")
                    #expect(check.status == 0, "\(check)")
                    #expect(check.stdout == payload + device.user + "\n")
                }
            }
        }
        print("SSHFleet: whole test (start, checks, removal) \(ContinuousClock.now - started)")
        try expectGone(directory: seen.directory, control: seen.control, devices: seen.devices)
    }

    @Test func aReplacedHostKeyIsRefusedUntilTrusted() async throws {
        try await SSHFleet.withFleet { fleet in
            let device = fleet.devices[1]
            #expect(try await device.run("true").status == 0)  // a ControlMaster connection is up now
            let old = device.hostPublicKey
            let new = try await device.replaceHostKey()
            #expect(new != old && device.hostPublicKey == new)

            let refused = try await device.run("echo should-not-run")
            #expect(refused.status == 255)
            #expect(refused.stdout.isEmpty)
            #expect(
                refused.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") && refused.stderr.contains("Host key verification failed"),
                "\(refused.stderr)")
            // The other devices are not affected.
            #expect(try await fleet.devices[0].run("true").status == 0)

            try fleet.trustCurrentHostKeys()
            #expect(try await device.run("echo ok").stdout == "ok\n")
        }
    }

    @Test func aSmallDiskFillsUp() async throws {
        var mountPoint = ""
        try await SSHFleet.withFleet(addresses: ["127.0.0.3"]) { fleet in
            let device = try #require(fleet["device3"])
            mountPoint = device.releaseDirectory
            try await device.limitDisk(bytes: 1 << 20)
            #expect(MountTable.mountPoints(under: device.releaseDirectory) == [device.releaseDirectory])

            let small = try await device.run("head -c 524288 /dev/zero > ledge/half && stat -c %U ledge/half")
            #expect(small.status == 0 && small.stdout == device.user + "\n", "\(small)")
            let big = try await device.run("head -c 2097152 /dev/zero > ledge/big")
            #expect(big.status != 0)
            #expect(big.stderr.contains("No space left on device"), "\(big)")
        }
        #expect(!mountPoint.isEmpty && MountTable.mountPoints(under: mountPoint).isEmpty)
    }

    @Test func stoppingSSHDCutsTheLinkAndStartingItAgainHeals() async throws {
        try await SSHFleet.withFleet(addresses: ["127.0.0.2"]) { fleet in
            let device = fleet.devices[0]
            let long = Task { try await device.run("echo started; touch ledge/started; sleep 30; echo finished") }
            // Wait until the remote command runs, then cut. (Not `pgrep sleep`: a killed process
            // that init does not reap stays a zombie, and pgrep counts zombies.)
            #expect(await eventually { (try? await device.run("test -e ledge/started").status) == 0 })
            let cut = ContinuousClock.now
            await device.stopSSHD()
            #expect(!device.isSSHDRunning)
            let interrupted = try await long.value
            #expect(ContinuousClock.now - cut < .seconds(10))
            #expect(interrupted.status == 255 && interrupted.stdout == "started\n", "\(interrupted)")

            let refused = try await device.run("true")
            #expect(refused.status == 255 && refused.stderr.contains("Connection refused"), "\(refused)")

            try await device.startSSHD()
            #expect(try await device.run("echo back").stdout == "back\n")
        }
    }

    @Test func everythingIsRemovedWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        var seen: (directory: String, control: String, devices: [(user: String, home: String, release: String)]) = ("", "", [])
        await #expect(throws: Boom.self) {
            try await SSHFleet.withFleet(addresses: ["127.0.0.4"]) { fleet in
                seen = (fleet.directory, fleet.controlDirectory, fleet.devices.map { ($0.user, $0.home, $0.releaseDirectory) })
                try await fleet.devices[0].limitDisk(bytes: 1 << 20)
                #expect(try await fleet.devices[0].run("true").status == 0)
                throw Boom()
            }
        }
        try expectGone(directory: seen.directory, control: seen.control, devices: seen.devices)
    }

    /// What a test run killed half-way leaves — the device's user with a process, a mount in its
    /// home, an sshd started with a config of ours — is cleared before the device is made.
    @Test func leftoversOfAKilledRunAreCleared() async throws {
        // $1: a folder named like a fleet's, for the stale sshd's config.
        let setup = """
            set -e
            useradd --create-home --home-dir /home/ledgetest5 --user-group --comment 'LedgeTesting SSHDevice' ledgetest5
            mkdir /home/ledgetest5/ledge
            cd /home/ledgetest5
            mount -t tmpfs -o size=1m stale /home/ledgetest5/ledge
            # Closing every other descriptor: Foundation's Process learns that the shell ended when
            # the last holder of a socket it hands the child closes it.
            setsid python3 -c 'import os; os.closerange(3, 65536); os.execvp("runuser", ["runuser", "-u", "ledgetest5", "--", "sh", "-c", "echo $$ > sleep.pid; exec sleep 300"])' \\
              < /dev/null > /dev/null 2>&1 &
            dir=$1/127.0.0.5
            mkdir "$dir"
            ssh-keygen -q -t ed25519 -N '' -f "$dir/key"
            port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.5", 0)); print(s.getsockname()[1])')
            printf 'ListenAddress 127.0.0.5:%s\\nHostKey %s/key\\nPidFile %s/pid\\nUsePAM no\\n' "$port" "$dir" "$dir" > "$dir/sshd_config"
            mkdir -p /run/sshd
            /usr/sbin/sshd -f "$dir/sshd_config"
            for i in $(seq 100); do [ -s "$dir/pid" ] && [ -s /home/ledgetest5/sleep.pid ] && break; sleep 0.05; done
            echo "$(cat "$dir/pid") $(cat /home/ledgetest5/sleep.pid)"
            """
        try await withTemporaryDirectory(prefix: "ledge-ssh-stale") { folder in
            let made = try ProcessRunner.run("/bin/sh", ["-c", setup, "stale", folder], timeLimit: 30)
            #expect(made.status == 0, "\(made.stderr)")
            let pids = made.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
            #expect(pids.count == 2, "\(made.stdout)")

            try await SSHFleet.withFleet(addresses: ["127.0.0.5"]) { fleet in
                let device = fleet.devices[0]
                for pid in pids { #expect(kill(pid, 0) != 0 || isZombie(pid), "process \(pid) survived") }
                #expect(MountTable.mountPoints(under: device.home).isEmpty)
                let listing = try await device.run("ls -A ledge; id -un")
                #expect(listing.stdout == "ledgetest5\n", "\(listing)")
            }
            #expect(getpwnam("ledgetest5") == nil)
        }
    }

    // MARK: Helpers

    private func expectGone(directory: String, control: String, devices: [(user: String, home: String, release: String)]) throws {
        #expect(!directory.isEmpty && !devices.isEmpty)
        let processes = try ProcessRunner.run("/bin/ps", ["-eo", "pid,stat,args"]).stdout.split(separator: "\n")
        let ours = processes.filter { ($0.contains(directory) || $0.contains(control)) && !$0.contains(" Z") }
        #expect(ours.isEmpty, "still running: \(ours)")
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(!FileManager.default.fileExists(atPath: control))
        for device in devices {
            #expect(getpwnam(device.user) == nil, "user \(device.user) left")
            #expect(getgrnam(device.user) == nil, "group \(device.user) left")
            #expect(!FileManager.default.fileExists(atPath: device.home), "\(device.home) left")
            #expect(MountTable.mountPoints(under: device.home).isEmpty)
            let owned = processes.filter { $0.contains("sshd: \(device.user)") }
            #expect(owned.isEmpty, "\(owned)")
        }
    }

    private func isZombie(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    private func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<100 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
