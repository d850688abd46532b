import Foundation
import LedgeCore
import LedgeONNX
@testable import LedgeONNXModel
import LedgeTesting
import Testing

/// Reading and writing ONNX models with our own generated types: every fixture survives a
/// round trip byte for byte, ONNX Runtime runs what we write, unknown fields survive a change,
/// and bad files get one line each.
@Suite struct ONNXModelFileTests {
    static let fixtures = ["add.onnx", "add_one.onnx", "mobilenet_gen.onnx", "mlp_gen.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"]

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ledge-onnx-\(UUID().uuidString)-\(name)").path
    }

    @Test(arguments: fixtures) func everyFixtureSurvivesARoundTripUnchanged(_ name: String) throws {
        let path = Fixtures.model(name)
        let model = try ONNXModelFile.read(path)
        let out = Self.temporary(name)
        defer { try? FileManager.default.removeItem(atPath: out) }
        try model.write(to: out)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let written = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(written == original, "\(name): \(written.count) bytes written, \(original.count) read")
        // Field by field: the written file parses to an equal message.
        #expect(try ONNXModelFile.read(out).model == model.model)
    }

    /// ONNX Runtime runs the written models with outputs identical to the originals'.
    @Test func onnxRuntimeRunsTheWrittenModelsIdentically() throws {
        for (name, shape) in [("mobilenet_gen.onnx", [2, 3, 224, 224]), ("ch_ppocr_mobile_v2.0_cls_infer.onnx", [1, 3, 48, 192])] {
            let out = Self.temporary(name)
            defer { try? FileManager.default.removeItem(atPath: out) }
            var model = try ONNXModelFile.read(Fixtures.model(name))
            model.model.producerName = "ledge-test"  // changed, so the file written is not a copy
            try model.write(to: out)
            let count = shape.reduce(1, *)
            let input = Tensor(dtype: .float32, shape: shape, values: (0..<count).map { Float(($0 * 7919) % 1000) / 1000 })
            let before = try ONNXSession(path: Fixtures.model(name)).run([input])
            let after = try ONNXSession(path: out).run([input])
            #expect(before.count == after.count)
            for (a, b) in zip(before, after) {
                #expect(a.shape == b.shape)
                #expect(a.withUnsafeBytes { Array($0) } == b.withUnsafeBytes { Array($0) }, "\(name): outputs differ")
            }
            #expect(try ONNXModelFile.read(out).model.producerName == "ledge-test")
        }
    }

    /// A field this schema does not declare (a newer IR's) is kept through a change and a write.
    @Test func unknownFieldsSurviveAChange() throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.model("add.onnx"))))
        // Field 99 of ModelProto, length-delimited: tag (99 << 3 | 2) as a varint, length 3, "new".
        bytes += [0x9A, 0x06, 0x03] + Array("new".utf8)
        let source = Self.temporary("unknown.onnx")
        let out = Self.temporary("unknown-out.onnx")
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: out)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: source))
        var model = try ONNXModelFile.read(source)
        model.model.docString = "changed"
        try model.write(to: out)
        let written = Array(try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written.suffix(6) == [0x9A, 0x06, 0x03] + Array("new".utf8))
        #expect(try ONNXModelFile.read(out).model.docString == "changed")
        #expect(try ONNXSession(path: out).info.inputs.map(\.name) == ["a", "b"])
    }

    @Test func badFilesGetOneLine() throws {
        let models = Fixtures.home + "/fixtures/models/"
        func message(_ path: String) -> String? {
            do {
                _ = try ONNXModelFile.read(path)
                return nil
            } catch let error as LedgeError {
                #expect(error.code == .invalidModel)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message(models + "empty.onnx") == "model file is empty: \(models)empty.onnx")
        #expect(message(models + "nope.onnx") == "model file not found: \(models)nope.onnx")
        for name in ["truncated.onnx", "fake.onnx"] {
            let text = try #require(message(models + name))
            #expect(text.hasPrefix("\(models)\(name): not an ONNX model: "), "\(text)")
            #expect(!text.contains("\n"))
        }
        // Weights in an external file are refused, naming the tensor and the file.
        var model = try ONNXModelFile.read(Fixtures.model("mobilenet_gen.onnx"))
        let first = model.model.graph.initializer[0].name
        model.model.graph.initializer[0].dataLocation = .external
        var location = Onnx_StringStringEntryProto()
        location.key = "location"
        location.value = "weights.bin"
        model.model.graph.initializer[0].externalData = [location]
        model.model.graph.initializer[0].clearRawData()
        let out = Self.temporary("external.onnx")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try model.write(to: out)
        #expect(
            message(out)
                == "\(out): tensor '\(first)' keeps its data in the external file 'weights.bin': expected every weight inside the model (onnx.save_model(model, path, save_as_external_data=False))"
        )
    }
}
