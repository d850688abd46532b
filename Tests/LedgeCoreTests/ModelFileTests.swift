import Foundation
import Testing
@testable import LedgeCore

/// A class, so its folder goes when each test's instance does.
@Suite final class ModelFileTests {
    let dir: String = {
        let d = NSTemporaryDirectory() + "ledge-core-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func detectsByContentNotExtension() throws {
        var tfl = [UInt8](repeating: 0, count: 32)
        tfl.replaceSubrange(4..<8, with: Array("TFL3".utf8))
        #expect(try ModelFile(path: write("model.onnx", tfl)).format == .tflite)
        // ir_version 7, then a graph (field 7) of 2 bytes.
        let onnx: [UInt8] = [0x08, 0x07, 0x3A, 0x02, 0x0A, 0x00]
        #expect(try ModelFile(path: write("model.tflite", onnx)).format == .onnx)
    }

    @Test func missingEmptyAndDirectory() {
        #expect(throws: LedgeError.invalidModel("model file not found: /nonexistent/m.tflite")) {
            try ModelFile(path: "/nonexistent/m.tflite")
        }
        let empty = write("empty.onnx", [])
        #expect(throws: LedgeError.invalidModel("model file is empty: \(empty)")) { try ModelFile(path: empty) }
        #expect(throws: LedgeError.invalidModel("model path is a directory, expected a .tflite or .onnx file: \(dir)")) {
            try ModelFile(path: dir)
        }
    }

    @Test func namesLookalikes() {
        let png = write("fake.onnx", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        #expect(
            throws: LedgeError.invalidModel(
                "\(png): not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf); it looks like a PNG image")
        ) {
            try ModelFile(path: png)
        }
        let text = write("notes.tflite", Array("hello world\n".utf8))
        #expect(
            throws: LedgeError.invalidModel(
                "\(text): not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf); it looks like a text file")
        ) {
            try ModelFile(path: text)
        }
    }

    @Test func truncatedOnnx() {
        // A graph field that claims 100 bytes but has 2.
        let cut = write("cut.onnx", [0x08, 0x07, 0x3A, 0x64, 0x0A, 0x00])
        #expect(
            throws: LedgeError.invalidModel(
                "\(cut): truncated or corrupt ONNX model (the protobuf ends in the middle of a field)")
        ) {
            try ModelFile(path: cut)
        }
    }

    @Test func garbageAfterTheFirstTagIsCorruptNotAModel() {
        // A varint that never ends (eleven 0xFF bytes) where ir_version's value should be.
        let garbage = write("garbage.onnx", [0x08] + [UInt8](repeating: 0xFF, count: 11))
        #expect(throws: LedgeError.invalidModel("\(garbage): truncated or corrupt ONNX model (a protobuf field is malformed)")) {
            try ModelFile(path: garbage)
        }
    }
}
