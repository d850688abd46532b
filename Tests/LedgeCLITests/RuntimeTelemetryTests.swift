import Foundation
import LedgeTesting
import Testing

/// ONNX Runtime's wheel carries telemetry on Linux (a device id and an event database under
/// `~/.cache/Microsoft/DeveloperTools/.onnxruntime`, uploads to Microsoft); `ledge` sets the
/// runtime's opt-out, `ORT_DISABLE_TELEMETRY=1`, before it loads, unless the variable is set.
@Suite(.ownThread) struct RuntimeTelemetryTests {
    @Test func anONNXModelRunLeavesNoTelemetryInTheHomeFolder() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        // A clean environment: no ORT_DISABLE_TELEMETRY from make or from this test process.
        let result = try ProcessRunner.run(
            Fixtures.ledgeExecutable, ["classify", "-m", Fixtures.model("mobilenet_gen.onnx"), "-i", Fixtures.image("chelsea.jpg"), "-k", "1"],
            environment: ["PATH": "/usr/bin:/bin", "HOME": home, "LEDGE_HOME": Fixtures.home, "XDG_CACHE_HOME": home + "/.cache"],
            inheritEnvironment: false, timeLimit: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("-------RESULTS--------"), "\(result.stdout)")
        // The probe cache is ours; nothing of Microsoft's.
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: home + "/.cache")) ?? []
        #expect(!cached.contains("Microsoft"), "\(cached)")
    }
}
