import Foundation
import Testing
@testable import LedgeCore

@Suite struct RuntimeLocatorTests {
    @Test func explicitPathThatDoesNotExist() {
        let locator = RuntimeLocator(environment: [:], workingDirectory: "/", executablePath: "")
        #expect(
            throws: LedgeError.runtimeUnavailable(
                "ONNX Runtime library not found at '/nowhere/libonnxruntime.so' (from the path given); install it with 'pip install onnxruntime==1.31.1'"
            )
        ) {
            try locator.locate(.onnxruntime, explicitPath: "/nowhere/libonnxruntime.so")
        }
    }

    @Test func environmentVariableWins() throws {
        let locator = RuntimeLocator(environment: ["LEDGE_LITERT_LIBRARY": "/nowhere/libLiteRt.so"], workingDirectory: "/", executablePath: "")
        #expect(
            throws: LedgeError.runtimeUnavailable(
                "LiteRT library not found at '/nowhere/libLiteRt.so' (from LEDGE_LITERT_LIBRARY); install it with 'pip install ai-edge-litert==2.3.0'"
            )
        ) {
            try locator.locate(.litert)
        }
    }

    @Test func setupFolderFoundFromLedgeHome() throws {
        let home = NSTemporaryDirectory() + "ledge-home-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/runtimes/litert", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: home + "/runtimes/litert/libLiteRt.so", contents: Data([0]))
        let locator = RuntimeLocator(environment: ["LEDGE_HOME": home], workingDirectory: "/", executablePath: "")
        #expect(try locator.locate(.litert) == home + "/runtimes/litert/libLiteRt.so")
    }

    @Test func nothingFoundSaysWhatToInstall() {
        let locator = RuntimeLocator(environment: ["HOME": "/nonexistent"], workingDirectory: "/nonexistent", executablePath: "")
        #expect(
            throws: LedgeError.runtimeUnavailable(
                "ONNX Runtime library not found: set LEDGE_ORT_LIBRARY or 'pip install onnxruntime==1.31.1'")
        ) {
            try locator.locate(.onnxruntime)
        }
    }
}
