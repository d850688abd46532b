import Foundation
@testable import LedgeONNX
@testable import LedgeONNXModel
import LedgeTesting
import SwiftProtobuf
import Testing

/// The wire-format scan that finds an ONNX graph's weights in place (what ``ONNXWeightShare``
/// copies once for a model's sessions) reads what a full decode of the model reads.
@Suite struct ONNXInitializerScanTests {
    @Test(arguments: ["mobilenet_gen.onnx", "mlp_gen.onnx"])  // the rapidocr model keeps its weights in typed fields
    func theScanAgreesWithAFullDecode(model: String) throws {
        let path = Fixtures.model(model)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let scanned = try #require(ONNXInitializerScan.initializers(in: data))
        let decoded = try ONNXModelFile.read(path).model.graph.initializer.filter { $0.hasRawData }
        #expect(!scanned.isEmpty)
        #expect(scanned.map(\.name) == decoded.map(\.name))
        #expect(scanned.map(\.dims) == decoded.map(\.dims))
        #expect(scanned.map(\.elementType) == decoded.map(\.dataType))
        for (tensor, proto) in zip(scanned, decoded) { #expect(data[tensor.bytes] == proto.rawData, "\(tensor.name)") }
        let large = try #require(ONNXInitializerScan.initializers(in: data, minimumBytes: ONNXWeightShare.smallest))
        #expect(large == scanned.filter { $0.bytes.count >= ONNXWeightShare.smallest })
    }

    /// The graph handed to the runtime in place of the weights: each shared tensor points at the
    /// file it came from (location, offset, length) without its bytes; everything else is unchanged.
    @Test func theExternalizedGraphPointsAtTheFileForTheSharedWeights() throws {
        let path = Fixtures.model("mobilenet_gen.onnx")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let shared = try #require(ONNXInitializerScan.initializers(in: data, minimumBytes: 4096))
        let external = try #require(ONNXInitializerScan.externalized(data, shared, location: "entry.onnx"))
        #expect(external.count < data.count - shared.reduce(0) { $0 + $1.bytes.count } + 100 * shared.count)
        let before = try ONNXModelFile.read(path).model
        let after = try Onnx_ModelProto(serializedBytes: external)
        let names = Set(shared.map(\.name))
        #expect(after.graph.node == before.graph.node)
        #expect(after.graph.input == before.graph.input)
        #expect(after.opsetImport == before.opsetImport)
        #expect(after.graph.initializer.map(\.name) == before.graph.initializer.map(\.name))
        for (tensor, original) in zip(after.graph.initializer, before.graph.initializer) where !names.contains(tensor.name) {
            #expect(tensor == original)
        }
        for (tensor, scanned) in zip(after.graph.initializer.filter { names.contains($0.name) }, shared) {
            #expect(!tensor.hasRawData)
            #expect(tensor.dataLocation == .external)
            #expect(tensor.dims == scanned.dims)
            #expect(
                tensor.externalData.map { "\($0.key)=\($0.value)" }
                    == ["location=entry.onnx", "offset=\(scanned.bytes.lowerBound)", "length=\(scanned.bytes.count)"])
        }
        #expect(ONNXInitializerScan.externalized(data.prefix(1000), shared, location: "entry.onnx") == nil)
    }

    @Test func aCutOrMalformedModelGivesNothing() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.model("mobilenet_gen.onnx")))
        for fraction in [2, 3, 10] { #expect(ONNXInitializerScan.initializers(in: data.prefix(data.count / fraction)) == nil) }
        #expect(ONNXInitializerScan.initializers(in: Data([0x3A, 0x05, 0x2A, 0x09])) == nil, "an initializer longer than its graph")
        #expect(ONNXInitializerScan.initializers(in: Data([0x08, 0x07])) == nil, "no graph")
        #expect(ONNXInitializerScan.initializers(in: Data([0x3A, 0x00, 0x3A, 0x00])) == nil, "two graphs")
        #expect(ONNXInitializerScan.initializers(in: Data([0x3A, 0x02, 0x2B, 0x00])) == nil, "a group")
    }
}
