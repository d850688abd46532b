public import Foundation

/// Model files made to fail, written once per test process by
/// `scripts/make_bad_models.py` (structured edits of the fixture models and
/// our own small ONNX graphs; see the script's docstring) into a temporary folder.
public enum BadModels {
    /// The folder holding them, made on first use; removed when the test process ends.
    public static func folder() throws -> String {
        try made.get()
    }

    /// The path of `name` (e.g. `crash_runtime.tflite`).
    public static func path(_ name: String) throws -> String { try folder() + "/" + name }

    private static let made: Swift.Result<String, any Error> = Swift.Result(catching: {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-bad-models-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let result = try ProcessRunner.run(
            Fixtures.home + "/venv/bin/python",
            [Fixtures.packageRoot + "/scripts/make_bad_models.py", folder],
            environment: ["LEDGE_HOME": Fixtures.home], timeLimit: 120)
        guard result.status == 0, !result.signaled else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "make_bad_models.py failed: \(result.stderr)"])
        }
        atexit {
            try? FileManager.default.removeItem(
                atPath: FileManager.default.temporaryDirectory.appendingPathComponent("ledge-bad-models-\(getpid())").path)
        }
        return folder
    })
}
