import LedgeTesting
import Testing

@testable import LedgeRelease

/// The programs a release runs (strip) inherit none of our descriptors.
@Suite struct SpawnTests {
    @Test func programsGetOnlyTheirStandardDescriptors() throws {
        let stray = try StrayDescriptor()
        #expect(Spawn.run(stray.shellCheck[0], Array(stray.shellCheck.dropFirst())) == 0, "the program inherited descriptor \(stray.number)")
        #expect(Spawn.run(StrayDescriptor.inheritedCheck[0], Array(StrayDescriptor.inheritedCheck.dropFirst())) == 1)
    }
}
