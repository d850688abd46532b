import ArgumentParser
import LedgeCore
@testable import LedgeCLI
import LedgeTesting
import Logging
import Testing

/// `--model-uri` and `--model-cache`, ready for `ledge serve` to add as an option group.
@Suite struct ModelURIOptionsTests {
    @Test func fileURIsGiveTheirModelFiles() async throws {
        try await withTemporaryDirectory(prefix: "ledge-model-uri") { cache in
            let tflite = Fixtures.model("efficientnet_lite0.tflite")
            let onnx = Fixtures.model("mobilenet_gen.onnx")
            let options = try ModelURIOptions.parse(["--model-uri", "file://" + tflite, "--model-uri", "file://" + onnx, "--model-cache", cache])
            let files = try await options.modelFiles(logger: Logger(label: "test"))
            #expect(files.map(\.path) == [tflite, onnx])
            #expect(files.map(\.name) == [nil, nil])
            #expect(!options.isEmpty)
            #expect(try ModelURIOptions.parse([]).isEmpty)
        }
    }

    @Test func aBadURIIsOneLine() async throws {
        let options = try ModelURIOptions.parse(["--model-uri", "azure://bucket/m.onnx", "--model-cache", "/nonexistent"])
        await #expect(
            throws: LedgeError.usage(
                "model URI 'azure://bucket/m.onnx': expected https://, http://, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO/PATH or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>"
            )
        ) {
            try await options.modelFiles(logger: Logger(label: "test"))
        }
    }
}
