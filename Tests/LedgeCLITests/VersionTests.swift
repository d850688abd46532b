import LedgeTesting
import Testing

@Suite(.ownThread) struct VersionTests {
    /// `--version --verbose` names every Swift package the build resolved, with its version.
    @Test func verboseVersionListsTheSwiftPackages() throws {
        let run = try ProcessRunner.ledge(["--version", "--verbose"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "ledge 0.1.0")
        #expect(lines.contains { $0.hasPrefix("  swift-nio ") && $0.contains("  2.101.3  https://github.com/apple/swift-nio.git") })
        #expect(lines.contains { $0.hasPrefix("  hummingbird ") && $0.contains("  2.28.1  ") })
        let plain = try ProcessRunner.ledge(["--version"])
        #expect(plain.stdout == "0.1.0\n")
    }
}
