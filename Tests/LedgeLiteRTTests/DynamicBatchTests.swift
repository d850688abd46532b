import Foundation
import LedgeCore
import LedgeLiteRT
import Testing

@Suite("Dynamic batch on a hand-written float model")
struct DynamicBatchTests {
    func session() throws -> LiteRTSession {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-tiny-add-\(getpid()).tflite").path
        try TinyModels.dynamicAdd().write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try LiteRTSession(file: ModelFile(path: path), options: SessionOptions(threads: 1), runtime: Support.runtime())
    }

    @Test func readerSeesDynamicShapesAndFloatVerdict() throws {
        let model = try TFLiteModel(data: TinyModels.dynamicAdd(), path: "tiny.tflite")
        #expect(model.subgraphs[0].tensors.map(\.shapeSignature) == [[-1, 4], [-1, 4], [-1, 4]])
        #expect(model.operatorSummary.map(\.name) == ["ADD"])
        #expect(model.quantizedVerdict == .no)
        #expect(model.description == "tiny add")
    }

    @Test func resizesForEachBatch() throws {
        let session = try session()
        #expect(session.info.inputs.map(\.shape) == [[-1, 4], [-1, 4]])
        #expect(session.info.outputs.first?.shape == [-1, 4])
        #expect(session.info.quantized == QuantizedVerdict.no)
        for batch in [1, 3, 2, 3] {
            let a = Tensor(dtype: .float32, shape: [batch, 4], values: (0..<batch * 4).map { Float($0) })
            let b = Tensor(dtype: .float32, shape: [batch, 4], values: (0..<batch * 4).map { Float($0) * 10 })
            let out = try session.run([a, b])
            #expect(out[0].shape == [batch, 4])
            #expect(out[0].values(as: Float.self) == (0..<batch * 4).map { Float($0) * 11 })
        }
        let wrong = Tensor(dtype: .float32, shape: [2, 5])
        #expect(
            Support.message { _ = try session.run([wrong, wrong]) }
                == "input 'a': expected shape [-1, 4], got [2, 5]")
    }
}
