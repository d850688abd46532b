import Foundation
import LedgeTesting
import Testing

/// Bad input gets one clear line on stderr and the documented exit code; never a crash or hang.
@Suite(.ownThread) struct ErrorCLITests {
    static let effnet = Fixtures.model("efficientnet_lite0.tflite")

    func expectError(
        _ args: [String], status: Int32, message: String,
        environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try ProcessRunner.ledge(args, environment: environment)
        #expect(!result.signaled && !result.timedOut, sourceLocation: sourceLocation)
        #expect(result.status == status, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr == message + "\n", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func missingModel() throws {
        try expectError(
            ["inspect", "/nonexistent/model.tflite"], status: 3,
            message: "error: model file not found: /nonexistent/model.tflite")
        try expectError(
            ["classify", "-m", "/nonexistent/model.onnx", "-i", Fixtures.image("chelsea.jpg")], status: 3,
            message: "error: model file not found: /nonexistent/model.onnx")
    }

    @Test func emptyModel() throws {
        let path = Fixtures.model("empty.onnx")
        try expectError(["inspect", path], status: 3, message: "error: model file is empty: \(path)")
    }

    @Test func randomBytesNamedTflite() throws {
        let path = Fixtures.model("random.tflite")
        try expectError(
            ["inspect", path], status: 3,
            message:
                "error: \(path): not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf)")
    }

    @Test func pngNamedOnnx() throws {
        let path = Fixtures.model("fake.onnx")
        try expectError(
            ["inspect", path], status: 3,
            message:
                "error: \(path): not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf); it looks like a PNG image")
    }

    @Test func runtimeLibraryPathPointingNowhere() throws {
        try expectError(
            ["inspect", Self.effnet], status: 4,
            message:
                "error: LiteRT library not found at '/nowhere/libLiteRt.so' (from LEDGE_LITERT_LIBRARY); install it with 'pip install ai-edge-litert==2.3.0' or run 'make setup'",
            environment: ["LEDGE_LITERT_LIBRARY": "/nowhere/libLiteRt.so"])
        try expectError(
            ["inspect", Fixtures.model("add.onnx"), "--ort-library", "/nowhere/libonnxruntime.so"], status: 4,
            message:
                "error: ONNX Runtime library not found at '/nowhere/libonnxruntime.so' (from the path given); install it with 'pip install onnxruntime==1.31.1' or run 'make setup'"
        )
    }

    @Test func modelWhoseInputIsNotAnImage() throws {
        let path = Fixtures.model("add.onnx")
        try expectError(
            ["classify", "-m", path, "-i", Fixtures.image("chelsea.jpg")], status: 3,
            message:
                "error: \(path): model has 2 inputs (a, b), expected one image input")
    }

    @Test func zeroTopK() throws {
        let result = try ProcessRunner.ledge(["classify", "-m", Self.effnet, "-i", Fixtures.image("chelsea.jpg"), "-k", "0"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("Error: -k/--top-k must be at least 1, got 0\n"))
    }

    @Test func missingImage() throws {
        try expectError(
            ["classify", "-m", Self.effnet, "-i", "/nonexistent/cat.jpg"], status: 3,
            message: "error: image file not found: /nonexistent/cat.jpg")
    }

    @Test func truncatedModels() throws {
        let tflite = Fixtures.model("truncated.tflite")
        try expectError(
            ["inspect", tflite], status: 3,
            message:
                "error: \(tflite): truncated or corrupt TFLite model (operator_codes)")
        let onnx = Fixtures.model("truncated.onnx")
        try expectError(
            ["classify", "-m", onnx, "-i", Fixtures.image("chelsea.jpg")], status: 3,
            message:
                "error: \(onnx): truncated or corrupt ONNX model (the protobuf ends in the middle of a field)")
    }

    @Test(arguments: [
        ("truncated.jpg", "corrupt or truncated JPEG (Premature end of JPEG file)"),
        ("truncated.png", "corrupt or truncated PNG (unexpected end of data)"),
        ("empty.jpg", "empty file, expected a JPEG or PNG image"),
        ("text.jpg", "not a JPEG or PNG image"),
        ("huge_header.jpg", "image is 60000x60000 pixels, over the limit of 100 megapixels or 32768 pixels a side"),
    ])
    func badImages(image: String, problem: String) throws {
        let path = Fixtures.image(image)
        try expectError(["classify", "-m", Self.effnet, "-i", path], status: 3, message: "error: \(path): \(problem)")
    }

    @Test func dynamicInputWithoutSize() throws {
        try expectError(
            ["classify", "-m", Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"), "-i", Fixtures.image("chelsea.jpg")],
            status: 2, message: "error: model input 'x' has dynamic height/width [-1, 3, -1, -1]; pass --input-size HxW")
    }

    @Test func libraryThatIsNotTheRuntime() throws {
        let libz = ["/lib/x86_64-linux-gnu/libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1"].first { FileManager.default.fileExists(atPath: $0) }
        let path = try #require(libz)
        try expectError(
            ["inspect", Fixtures.model("add.onnx")], status: 4,
            message:
                "error: '\(path)' is not an ONNX Runtime library (it has no OrtGetApiBase); install it with 'pip install onnxruntime==1.31.1' or run 'make setup'",
            environment: ["LEDGE_ORT_LIBRARY": path])
    }
}
