import Foundation
import LedgeTesting
import Testing

/// Children the harness starts inherit none of the test process's descriptors: a long-lived
/// child (sshd, an ssh ControlMaster) holding a client's socket kept a test's connection open
/// after the test closed it (ClientLimitFlagTests waited 30 s for a close the server never saw).
@Suite(.ownThread) struct CleanSpawnTests {
    @Test func processRunnerChildrenGetOnlyTheirStandardDescriptors() throws {
        let stray = try StrayDescriptor()
        let check = try ProcessRunner.run(stray.shellCheck[0], Array(stray.shellCheck.dropFirst()))
        #expect(check.status == 0, "the child inherited descriptor \(stray.number)")
        let control = try ProcessRunner.run(StrayDescriptor.inheritedCheck[0], Array(StrayDescriptor.inheritedCheck.dropFirst()))
        #expect(control.status == 1)
    }

    @Test func backgroundProcessesGetOnlyTheirStandardDescriptors() throws {
        let stray = try StrayDescriptor()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-spawn-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = try BackgroundProcess(
            stray.shellCheck[0], Array(stray.shellCheck.dropFirst()), environment: nil, stdoutPath: output, stderrPath: output)
        let deadline = Date().addingTimeInterval(60)
        while child.isRunning && Date() < deadline { usleep(10_000) }  // it ends by itself; stop() only reaps
        let ended = child.stop()
        #expect(ended == ProcessExit(status: 0, signaled: false), "the child inherited descriptor \(stray.number)")
    }
}
