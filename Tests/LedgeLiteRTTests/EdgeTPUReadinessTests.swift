import Foundation
import LedgeLiteRT
import LedgeTesting
import Testing

/// The Edge TPU check on efficientnet_lite0 as it comes, and with one operator swapped for one
/// that is not on Coral's list: the compiler would map the operators before it only.
@Suite struct EdgeTPUReadinessTests {
    func efficientNet() throws -> TFLiteModel {
        let path = Fixtures.model("efficientnet_lite0.tflite")
        return try TFLiteModel(data: try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
    }

    @Test func everyOperatorOfEfficientNetIsSupported() throws {
        let readiness = EdgeTPUReadiness(model: try efficientNet())
        #expect(readiness.verdict == .ready)
        #expect(readiness.onEdgeTPU == 64 && readiness.operatorCount == 64)
        #expect(readiness.unsupported.isEmpty && readiness.floatTensors.isEmpty && readiness.firstFallback == nil)
    }

    @Test func anUnsupportedOperatorSendsTheRestToTheCPU() throws {
        var model = try efficientNet()
        let order = try #require(model.subgraphs.first?.operatorCodeIndices)
        let fullyConnected = try #require(model.operatorCodes.firstIndex { $0.name == "FULLY_CONNECTED" })
        model.operatorCodes[fullyConnected].builtinCode = 117  // HARD_SWISH: not on the list
        let position = try #require(order.firstIndex(of: fullyConnected))
        let readiness = EdgeTPUReadiness(model: model)
        #expect(readiness.verdict == .partial)
        #expect(readiness.onEdgeTPU == position)
        let version = model.operatorCodes[fullyConnected].version
        #expect(readiness.unsupported == ["HARD_SWISH v\(version)"])
        #expect(
            readiness.lines.first
                == "edgetpu: partial: \(position) of 64 operators run on the Edge TPU; from operator #\(position) HARD_SWISH v\(version) on, everything runs on the CPU"
        )
    }
}
