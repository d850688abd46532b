import Foundation
import LedgeTesting
import Testing

/// The LeakSanitizer (Debian's liblsan0, preloaded into the debug `ledge`)
/// finds no leak in `ledge inspect` and `ledge classify` on the fixtures, nor
/// when loading a runtime library fails.
@Suite(.ownThread) struct LeakTests {
    static let lsan = ["/usr/lib/x86_64-linux-gnu/liblsan.so.0", "/usr/lib/aarch64-linux-gnu/liblsan.so.0"]
        .first { FileManager.default.fileExists(atPath: $0) }

    static let runs: [[String]] = [
        ["inspect", Fixtures.model("efficientnet_lite0.tflite")],
        ["inspect", Fixtures.model("mobilenet_gen.onnx")],
        ["classify", "-m", Fixtures.model("efficientnet_lite0.tflite"), "-i", Fixtures.image("chelsea.jpg"), "-i", Fixtures.image("coffee.png")],
        ["classify", "-m", Fixtures.model("mobilenet_gen.onnx"), "-i", Fixtures.image("chelsea.jpg")],
        ["inspect", Fixtures.model("efficientnet_lite0.tflite"), "--litert-library", "/usr/lib/x86_64-linux-gnu/libz.so.1"],
        ["inspect", Fixtures.model("add.onnx"), "--ort-library", Fixtures.model("efficientnet_lite0.tflite")],
    ]

    @Test(arguments: runs)
    func noLeakReported(_ arguments: [String]) throws {
        let lsan = try #require(Self.lsan, "liblsan0 is not installed: run 'make setup'")
        let result = try ProcessRunner.ledge(
            arguments, environment: ["LD_PRELOAD": lsan, "LSAN_OPTIONS": "exitcode=23"],
            timeLimit: 120)
        #expect(!result.stderr.contains("LeakSanitizer"), "\(result.stderr)")
        #expect(result.status != 23)
        #expect(result.status == (arguments.contains { $0.hasSuffix("-library") } ? 4 : 0), "\(result.stderr)")
    }
}
