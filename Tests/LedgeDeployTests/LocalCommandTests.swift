import LedgeTesting
import Testing

@testable import LedgeDeploy

/// The commands `ledge deploy` runs (ssh, scp) inherit none of our descriptors: the ssh
/// ControlMaster such a command starts lives on (ControlPersist 60 s) and would hold whatever
/// it inherited — a served connection, a pipe another reader waits on to end — open that long.
@Suite struct LocalCommandTests {
    @Test func commandsGetOnlyTheirStandardDescriptors() throws {
        let stray = try StrayDescriptor()
        #expect(try LocalCommand.run(stray.shellCheck).status == 0, "the command inherited descriptor \(stray.number)")
        #expect(try LocalCommand.run(stray.shellCheck, input: [1, 2, 3]).status == 0, "the command inherited descriptor \(stray.number)")
        #expect(try LocalCommand.runAttached(stray.shellCheck) == 0, "the command inherited descriptor \(stray.number)")
        #expect(try LocalCommand.run(StrayDescriptor.inheritedCheck).status == 1)
    }
}
