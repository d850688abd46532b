import Foundation
import LedgeCore
import LedgeONNX
import LedgeTesting
import Testing

@Suite struct ONNXErrorTests {
    let ppocr = Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")
    let install = "install it with 'pip install onnxruntime==1.31.1'"

    @Test func wrongDtype() throws {
        let session = try ONNXSession(path: ppocr)
        let error = ledgeError { _ = try session.run([Tensor(dtype: .uint8, shape: [1, 3, 48, 192])]) }
        #expect(error == .invalidInput("input 'x': expected dtype float32, got uint8"))
    }

    @Test func wrongShape() throws {
        let session = try ONNXSession(path: ppocr)
        let error = ledgeError { _ = try session.run([Tensor(dtype: .float32, shape: [1, 4, 48, 192])]) }
        #expect(error == .invalidInput("input 'x': expected shape [-1, 3, -1, -1], got [1, 4, 48, 192]"))
        let rank = ledgeError { _ = try session.run([Tensor(dtype: .float32, shape: [3, 48, 192])]) }
        #expect(rank == .invalidInput("input 'x': expected shape [-1, 3, -1, -1], got [3, 48, 192]"))
    }

    @Test func wrongInputCount() throws {
        let session = try ONNXSession(path: ppocr)
        let input = Tensor(dtype: .float32, shape: [1, 3, 48, 192])
        #expect(ledgeError { _ = try session.run([input, input]) } == .invalidInput("model expects 1 input(s), got 2"))
        #expect(ledgeError { _ = try session.run([]) } == .invalidInput("model expects 1 input(s), got 0"))
    }

    @Test func runtimeFailureIsReportedNotCrashed() throws {
        // Spatial size 0 passes the spec check but the convolutions cannot run on it.
        let session = try ONNXSession(path: ppocr)
        let error = try #require(ledgeError { _ = try session.run([Tensor(dtype: .float32, shape: [1, 3, 0, 0])]) })
        #expect(error.message.hasPrefix("onnxruntime: Non-zero status code returned while running Conv node"))
        #expect(error.code == .runtimeFailure)
        // The session still works afterwards.
        #expect(try session.run([Tensor(dtype: .float32, shape: [1, 3, 48, 192])])[0].shape == [1, 2])
    }

    @Test func zeroThreadsRejected() throws {
        let error = ledgeError { _ = try ONNXSession(path: ppocr, options: SessionOptions(threads: 0)) }
        #expect(error == .invalidInput("threads: expected at least 1, got 0"))
    }

    @Test func truncatedModel() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ppocr))
        let path = try temporaryFile(named: "truncated.onnx", bytes: bytes.prefix(bytes.count / 2))
        defer { removeTemporaryFile(path) }
        let error = try #require(ledgeError { _ = try ONNXSession(path: path) })
        #expect(error.code == .invalidModel)
        #expect(error.message.hasPrefix("\(path): truncated or corrupt ONNX model"))
    }

    @Test func garbageBytes() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let path = try temporaryFile(named: "garbage.onnx", bytes: Data([0xFF, 0xFF]) + bytes)
        defer { removeTemporaryFile(path) }
        let error = try #require(ledgeError { _ = try ONNXSession(path: path) })
        #expect(error.code == .invalidModel)
        #expect(error.message.hasPrefix("\(path): not a TFLite or ONNX model"))
    }

    /// The format check decodes the graph's nodes: a broken one is found before ONNX Runtime sees the file.
    @Test func brokenNodeInTheGraphIsCorrupt() throws {
        // ir_version 7, then a graph whose one node field holds a broken message.
        let bytes = Data([0x08, 0x07, 0x3A, 0x04, 0x0A, 0x02, 0xFF, 0xFF])
        let path = try temporaryFile(named: "broken-graph.onnx", bytes: bytes)
        defer { removeTemporaryFile(path) }
        let error = try #require(ledgeError { _ = try ONNXSession(path: path) })
        #expect(error.code == .invalidModel)
        #expect(error.message == "\(path): truncated or corrupt ONNX model (a protobuf field is malformed)")
    }

    @Test func tfliteFileIsNotAnONNXModel() throws {
        let path = Fixtures.model("efficientnet_lite0.tflite")
        let error = ledgeError { _ = try ONNXSession(path: path) }
        #expect(error == .invalidModel("\(path): expected an ONNX model, got a tflite model"))
    }

    @Test func libraryPathPointingNowhere() {
        let error = ledgeError { _ = try ONNXRuntime.shared(libraryPath: "/nowhere/libonnxruntime.so.1") }
        #expect(
            error
                == .runtimeUnavailable(
                    "ONNX Runtime library not found at '/nowhere/libonnxruntime.so.1' (from the path given); \(install)"))
        #expect(error?.code == .runtimeUnavailable)
    }

    @Test func libraryThatIsNotONNXRuntime() {
        let path = "/lib/x86_64-linux-gnu/libz.so.1"
        let error = ledgeError { _ = try ONNXRuntime.shared(libraryPath: path) }
        #expect(error == .runtimeUnavailable("'\(path)' is not an ONNX Runtime library (it has no OrtGetApiBase); \(install)"))
    }

    @Test func libraryThatIsNotASharedObject() throws {
        let path = try temporaryFile(named: "libonnxruntime.so.1", bytes: Data("not a library\n".utf8))
        defer { removeTemporaryFile(path) }
        let error = try #require(ledgeError { _ = try ONNXRuntime.shared(libraryPath: path) })
        #expect(error.code == .runtimeUnavailable)
        #expect(error.message.hasPrefix("cannot load ONNX Runtime library '\(path)': "))
        #expect(error.message.hasSuffix(install))
    }
}
