import Foundation
import LedgeCore
import LedgeLiteRT
import LedgeTesting
import Testing

@Suite("TFLite reader on corrupt files")
struct TFLiteReaderTests {
    let original: Data

    init() throws {
        original = try #require(FileManager.default.contents(atPath: Support.modelPath))
    }

    private func corrupt(_ edit: (inout [UInt8]) -> Void) -> Data {
        var bytes = [UInt8](original)
        edit(&bytes)
        return Data(bytes)
    }

    private func readerMessage(_ data: Data) -> String? {
        Support.message { _ = try TFLiteModel(data: data, path: "m.tflite") }
    }

    @Test func readsTheRealModel() throws {
        let model = try TFLiteModel(data: original, path: Support.modelPath)
        #expect(model.subgraphs.count == 1)
        #expect(model.version == 3)
        #expect(model.metadata.contains { $0.name == "TFLITE_METADATA" })
        let metadata = try model.modelMetadata(data: original, path: Support.modelPath)
        #expect(metadata.labels?.count == 1000)
    }

    @Test func truncatedFile() {
        #expect(
            readerMessage(original.prefix(1000))
                == "m.tflite: truncated or corrupt TFLite model (operator_codes)")
    }

    @Test func randomBytesWithIdentifier() {
        var generator = SeededGenerator(seed: 42)
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.replaceSubrange(4..<8, with: Array("TFL3".utf8))
        #expect(readerMessage(Data(bytes)) == "m.tflite: truncated or corrupt TFLite model (model table offset)")
    }

    @Test func handCorruptedOffsets() {
        // Root offset past the end.
        #expect(
            readerMessage(corrupt { $0.replaceSubrange(0..<4, with: [0xF0, 0xFF, 0xFF, 0x7F]) })
                == "m.tflite: truncated or corrupt TFLite model (model table offset)")
        // The root table's vtable pointer sent far away.
        let root = Int(original[0]) | Int(original[1]) << 8
        #expect(
            readerMessage(corrupt { $0.replaceSubrange(root..<root + 4, with: [0x00, 0x00, 0x00, 0x80]) })
                == "m.tflite: truncated or corrupt TFLite model (model vtable)")
        // A file of only the header.
        #expect(readerMessage(original.prefix(8)) == "m.tflite: truncated or corrupt TFLite model (model table offset)")
        #expect(readerMessage(original.prefix(6)) == "m.tflite: truncated or corrupt TFLite model (file is 6 bytes)")
    }

    @Test func sessionRejectsCorruptFileBeforeLiteRT() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-truncated-\(getpid()).tflite").path
        try original.prefix(1000).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(
            Support.message { _ = try LiteRTSession(file: ModelFile(path: path), runtime: Support.runtime()) }
                == "\(path): truncated or corrupt TFLite model (operator_codes)")
    }
}
