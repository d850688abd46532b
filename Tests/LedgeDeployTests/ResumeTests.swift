import Foundation
@testable import LedgeDeploy
import LedgeTesting
import Testing

/// An object whose upload a cut link interrupted is resumed where it stopped, also when
/// every byte had arrived and only the commit was missing: nothing is sent again.
@Suite(.ownThread) struct ResumeTests {
    /// `body` with a fresh device root holding an empty object store, removed afterwards.
    static func withStore(_ prefix: String, _ body: (_ root: String, _ store: String) throws -> Void) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = root + "/store/sha256"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        try body(root, store)
    }

    @Test func theOffsetIsWhatArrivedWhenItFitsTheObject() {
        #expect(Deployer.resumeOffset(partial: nil, size: 100) == 0)
        #expect(Deployer.resumeOffset(partial: 0, size: 100) == 0)
        #expect(Deployer.resumeOffset(partial: 40, size: 100) == 40)
        #expect(Deployer.resumeOffset(partial: 100, size: 100) == 100)
        #expect(Deployer.resumeOffset(partial: 101, size: 100) == 0)
    }

    /// The device's receive script, run by `sh` here, given no more bytes for a partial
    /// that holds the whole object: it checks the digest and commits, or refuses a damaged one.
    @Test func aCompletePartialIsCommittedWithNothingMoreSent() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-resume-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = root + "/store/sha256"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        let bytes = Data((0..<4096).map { UInt8($0 % 251) })
        let object0 = store + "/whole"
        try bytes.write(to: URL(fileURLWithPath: object0))
        let hex = try ProcessRunner.run("/usr/bin/sha256sum", [object0]).stdout.prefix(64)
        try FileManager.default.removeItem(atPath: object0)
        let object = "\(hex)-644"
        let part = store + "/.\(object).part"

        try bytes.write(to: URL(fileURLWithPath: part))
        let committed = try ProcessRunner.run(
            "/bin/sh", ["-c", DeviceScripts.receive(root: root, object: object, offset: bytes.count, size: bytes.count)])
        #expect(committed.status == 0, "\(committed.stderr)")
        #expect(FileManager.default.contents(atPath: store + "/" + object) == bytes)
        #expect(!FileManager.default.fileExists(atPath: part))

        // Whole but damaged: refused, and the partial is gone so the next apply sends it all.
        var damaged = bytes
        damaged[7] ^= 0xff
        let other = "\(hex)-600"
        try damaged.write(to: URL(fileURLWithPath: store + "/.\(other).part"))
        let refused = try ProcessRunner.run(
            "/bin/sh", ["-c", DeviceScripts.receive(root: root, object: other, offset: bytes.count, size: bytes.count)])
        #expect(refused.status == 3)
        #expect(refused.stderr == "object \(hex.prefix(12)) arrived damaged\n")
        #expect(!FileManager.default.fileExists(atPath: store + "/.\(other).part"))
        #expect(!FileManager.default.fileExists(atPath: store + "/" + other))
    }

    /// A link cut half-way can end the script's input (EOF) before its hang-up: what arrived is
    /// kept for the next run to resume, and the next run's rest completes the object.
    @Test func anObjectCutShortIsKeptToResume() throws {
        try Self.withStore("ledge-short") { root, store in try Self.cutShort(root: root, store: store) }
    }

    static func cutShort(root: String, store: String) throws {
        let bytes = Data((0..<4096).map { UInt8($0 % 241) })
        try bytes.write(to: URL(fileURLWithPath: root + "/whole"))
        let hex = try ProcessRunner.run("/usr/bin/sha256sum", [root + "/whole"]).stdout.prefix(64)
        let object = "\(hex)-644"
        let part = store + "/.\(object).part"

        let short = try ProcessRunner.run(
            "/bin/sh", ["-c", "head -c 1000 \(root)/whole | { \(DeviceScripts.receive(root: root, object: object, offset: 0, size: bytes.count)); }"])
        #expect(short.status == 3)
        #expect(short.stderr == "object \(hex.prefix(12)) arrived short (1000 of 4096 bytes): kept to resume\n")
        #expect(FileManager.default.contents(atPath: part) == bytes.prefix(1000))
        #expect(Deployer.resumeOffset(partial: 1000, size: bytes.count) == 1000)

        let rest = try ProcessRunner.run(
            "/bin/sh",
            ["-c", "tail -c +1001 \(root)/whole | { \(DeviceScripts.receive(root: root, object: object, offset: 1000, size: bytes.count)); }"])
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(FileManager.default.contents(atPath: store + "/" + object) == bytes)
        #expect(!FileManager.default.fileExists(atPath: part))
    }

    /// A secret (an object of mode 600) is never readable by others, not even while it arrives:
    /// the partial file, caught while `cat` still waits for the rest, is already 0600.
    @Test func aSecretArrivesUnreadableByOthers() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-secret-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = root + "/store/sha256"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        let bytes = Data("a-token-of-thirty-two-characters\n".utf8)
        let probe = root + "/probe"
        try bytes.write(to: URL(fileURLWithPath: probe))
        let object = "\(try ProcessRunner.run("/usr/bin/sha256sum", [probe]).stdout.prefix(64))-600"
        let part = store + "/.\(object).part"

        let process = Process()
        let input = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask 022\n" + DeviceScripts.receive(root: root, object: object, offset: 0, size: bytes.count)]
        process.standardInput = input
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        input.fileHandleForWriting.write(bytes.prefix(8))
        var mode: Int?
        for _ in 0..<500 where mode == nil {
            mode = (try? FileManager.default.attributesOfItem(atPath: part))?[.posixPermissions] as? Int
            if mode == nil { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(mode == 0o600)
        input.fileHandleForWriting.write(bytes.dropFirst(8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.contents(atPath: store + "/" + object) == bytes)
        #expect((try FileManager.default.attributesOfItem(atPath: store + "/" + object))[.posixPermissions] as? Int == 0o600)
    }
}
