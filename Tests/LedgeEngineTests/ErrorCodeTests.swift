import Foundation
import LedgeCore
import LedgeEngine
import LedgeTesting
import Logging
import Testing

/// Every error path of `inspect` and `classify` (the library side: ModelLoader,
/// ImageClassifier) has its code; callers branch on the code, the CLI turns it
/// into an exit code and the server into a status.
@Suite(.ownThread) struct ErrorCodeTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test(arguments: [
        ("/nonexistent/model.tflite", LedgeError.Code.invalidModel),
        ("empty.onnx", .invalidModel),
        ("truncated.tflite", .invalidModel),
        ("truncated.onnx", .invalidModel),
        ("random.tflite", .invalidModel),
        ("fake.onnx", .invalidModel),
    ])
    func openingAModel(_ file: String, _ expected: LedgeError.Code) {
        let path = file.hasPrefix("/") ? file : Fixtures.model(file)
        #expect(ledgeErrorCode { _ = try ModelLoader.open(path: path, logger: Self.logger) } == expected, "\(file)")
    }

    @Test(arguments: [
        "zero_point_out_of_range.tflite", "quant_length_mismatch.tflite", "bad_scale.tflite",
        "bad_quantized_dimension.tflite",
    ])
    func quantizationTheValidatorRefuses(_ file: String) throws {
        let path = try BadModels.path(file)
        #expect(ledgeErrorCode { _ = try ModelLoader.open(path: path, logger: Self.logger) } == .invalidModel)
    }

    @Test func runtimeLibraryMissing() {
        var options = EngineOptions()
        options.liteRTLibrary = "/nowhere/libLiteRt.so"
        #expect(
            ledgeErrorCode { _ = try ModelLoader.open(path: Fixtures.model("efficientnet_lite0.tflite"), options: options, logger: Self.logger) }
                == .runtimeUnavailable)
        options = EngineOptions(onnxRuntimeLibrary: Fixtures.model("efficientnet_lite0.tflite"))
        #expect(
            ledgeErrorCode { _ = try ModelLoader.open(path: Fixtures.model("add.onnx"), options: options, logger: Self.logger) }
                == .runtimeUnavailable)
    }

    @Test func classifyingAnImage() throws {
        let session = try ModelLoader.open(path: Fixtures.model("efficientnet_lite0.tflite"), logger: Self.logger)
        let classifier = try ImageClassifier(session: session)
        #expect(ledgeErrorCode { _ = try classifier.classify(path: "/nonexistent.jpg", topK: 1) } == .invalidInput)
        #expect(ledgeErrorCode { _ = try classifier.classify(data: Data(), name: "empty.jpg", topK: 1) } == .invalidInput)
        #expect(ledgeErrorCode { _ = try classifier.classify(data: Data("not an image".utf8), name: "text.jpg", topK: 1) } == .invalidInput)
        // A model that is not an image classifier (two inputs) is the wrong input for classify.
        let add = try ModelLoader.open(path: Fixtures.model("add.onnx"), logger: Self.logger)
        #expect(ledgeErrorCode { _ = try ImageClassifier(session: add) } == .invalidInput)
        // Wrong tensors handed to a session.
        #expect(
            ledgeErrorCode { _ = try add.run([Tensor(dtype: .int32, shape: [1, 4]), Tensor(dtype: .float32, shape: [1, 4])]) } == .invalidInput)
    }
}
