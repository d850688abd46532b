import Foundation
@testable import LedgeDeploy
import LedgeTesting
import Testing

/// An object whose upload a cut link interrupted is resumed where it stopped, also when
/// every byte had arrived and only the commit was missing: nothing is sent again.
@Suite struct ResumeTests {
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
        let committed = try ProcessRunner.run("/bin/sh", ["-c", DeviceScripts.receive(root: root, object: object, offset: bytes.count)])
        #expect(committed.status == 0, "\(committed.stderr)")
        #expect(FileManager.default.contents(atPath: store + "/" + object) == bytes)
        #expect(!FileManager.default.fileExists(atPath: part))

        // Whole but damaged: refused, and the partial is gone so the next apply sends it all.
        var damaged = bytes
        damaged[7] ^= 0xff
        let other = "\(hex)-600"
        try damaged.write(to: URL(fileURLWithPath: store + "/.\(other).part"))
        let refused = try ProcessRunner.run("/bin/sh", ["-c", DeviceScripts.receive(root: root, object: other, offset: bytes.count)])
        #expect(refused.status == 3)
        #expect(refused.stderr == "object \(hex.prefix(12)) arrived damaged\n")
        #expect(!FileManager.default.fileExists(atPath: store + "/.\(other).part"))
        #expect(!FileManager.default.fileExists(atPath: store + "/" + other))
    }
}
