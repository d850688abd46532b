import Foundation
import LedgeCore
import LedgeTesting
import Testing

@testable import LedgeDeploy

/// What keeps the server running on a device: the systemd unit systemd itself accepts, the
/// choice between systemd and the supervisor, and the supervisor restarting a server that dies.
@Suite(.ownThread) struct DeviceServiceTests {
    /// `systemd-analyze verify` (Debian's systemd, no running systemd needed) reads the unit
    /// as systemd would and prints nothing for a unit without a fault.
    @Test(arguments: [false, true]) func theUnitIsOneSystemdAccepts(user: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-unit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let release = folder + "/root/releases/0123456789abcdef"
        try FileManager.default.createDirectory(atPath: release, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/root/run", withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(toFile: release + "/run.sh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: release + "/run.sh")
        let unit = folder + "/ledge@0123456789abcdef.service"
        try ServiceMode.unit(rootPath: folder + "/root", host: "0.0.0.0", port: 8000, user: user).write(
            toFile: unit, atomically: true, encoding: .utf8)
        let verified = try ProcessRunner.run("/usr/bin/systemd-analyze", ["verify", "--man=no", unit])
        #expect(verified.status == 0)
        #expect(verified.stdout.isEmpty && verified.stderr.isEmpty, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func systemdIsUsedWhereItOutlivesTheSession() throws {
        func facts(_ lines: String) -> DeviceFacts { DeviceFacts(lines) }
        #expect(try ServiceMode.choose("auto", facts: facts("systemd=no\nuid=0")) == .supervisor)
        #expect(try ServiceMode.choose("auto", facts: facts("systemd=yes\nuid=0")) == .systemdSystem)
        #expect(try ServiceMode.choose("auto", facts: facts("systemd=yes\nuid=1000\nlinger=yes")) == .systemdUser)
        #expect(try ServiceMode.choose("auto", facts: facts("systemd=yes\nuid=1000")) == .supervisor)
        #expect(try ServiceMode.choose("supervisor", facts: facts("systemd=yes\nuid=0")) == .supervisor)
        func message(_ body: () throws -> ServiceMode) -> String? {
            do {
                _ = try body()
                return nil
            } catch { return (error as? LedgeError)?.message }
        }
        #expect(message { try ServiceMode.choose("systemd", facts: facts("systemd=no\nuid=0")) } == "--init systemd: the device does not run systemd")
        #expect(
            message { try ServiceMode.choose("systemd", facts: facts("systemd=yes\nuid=1000")) }
                == "--init systemd: user units stop when the SSH session ends unless the user lingers (run 'loginctl enable-linger' on the device)")
    }

    /// supervise.sh starts run.sh again when it exits, and on SIGTERM passes it on and ends.
    @Test func theSupervisorRestartsTheServerAndStopsWithIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-supervise-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A "server" that records each start and exits the first time, then runs until TERM. The
        // trap is set before the start is recorded: the test sends TERM as soon as it sees two.
        let run = """
            #!/bin/sh
            trap 'echo term >> "\(folder)/starts"; exit 0' TERM
            echo start >> "\(folder)/starts"
            [ "$(wc -l < "\(folder)/starts")" -ge 2 ] || exit 7
            while :; do sleep 0.05; done
            """
        try run.write(toFile: folder + "/run.sh", atomically: true, encoding: .utf8)
        try DeviceRelease.superviseScript.write(toFile: folder + "/supervise.sh", atomically: true, encoding: .utf8)
        for script in ["run.sh", "supervise.sh"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/" + script)
        }
        // A clean signal mask, as over ssh (the test runner's threads block signals a shell's `wait` needs).
        let process = try BackgroundProcess(
            folder + "/supervise.sh", [folder + "/supervise.pid"], environment: nil, stdoutPath: folder + "/out", stderrPath: folder + "/err")
        defer { process.stop(grace: 5) }
        let starts = folder + "/starts"
        for _ in 0..<400 where ((try? String(contentsOfFile: starts, encoding: .utf8)) ?? "").split(separator: "\n").count < 2 {
            usleep(10_000)
        }
        #expect(try String(contentsOfFile: folder + "/supervise.pid", encoding: .utf8) == "\(process.pid)\n")
        #expect(process.stop(grace: 10).status == 0)
        #expect(try String(contentsOfFile: starts, encoding: .utf8) == "start\nstart\nterm\n")
        #expect(!FileManager.default.fileExists(atPath: folder + "/supervise.pid"))
        let said = try String(contentsOfFile: folder + "/err", encoding: .utf8)
        #expect(said == "supervise.sh: ledge exited with status 7; starting it again in 1 s\n")
    }
}
