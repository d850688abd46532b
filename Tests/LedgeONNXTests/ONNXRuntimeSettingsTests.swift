import Foundation
import LedgeCore
import LedgeONNX
import LedgeTesting
import Testing

/// Triton's ONNX Runtime backend settings (``ONNXRuntimeSettings``) reach the runtime: each gives
/// the reference outputs, and the graph optimization level decides what the runtime makes of the graph.
@Suite(.ownThread) struct ONNXRuntimeSettingsTests {
    static let settings: [ONNXRuntimeSettings] = [
        ONNXRuntimeSettings(graphLevel: .disabled), ONNXRuntimeSettings(graphLevel: .basic), ONNXRuntimeSettings(graphLevel: .extended),
        ONNXRuntimeSettings(parallel: true, interOpThreads: 2), ONNXRuntimeSettings(parallel: true),
        ONNXRuntimeSettings(memoryArena: false), ONNXRuntimeSettings(memoryPattern: false),
    ]

    @Test(arguments: settings)
    func everySettingGivesTheReferenceOutputs(settings: ONNXRuntimeSettings) throws {
        let reference = try Fixtures.referenceCase("onnx_gen_b4")
        for sharesMemory in [false, true] {
            let session = try ONNXSession(
                path: reference.model, options: SessionOptions(threads: 2, sharesMemory: sharesMemory, onnxRuntime: settings))
            let outputs = try session.run(reference.inputs)
            #expect(outputs.count == 1 && outputs[0].shape == reference.outputs[0].shape)
            #expect(maxAbsDifference(outputs[0], reference.outputs[0]) <= 1e-5, "\(settings.summary)")
        }
    }

    /// mobilenet_gen is Conv, BatchNormalization, Clip ×27: with no optimization the saved graph keeps
    /// the BatchNormalizations; basic folds them into the Convs; extended also fuses each Conv with
    /// its Clip (ONNX Runtime's FusedConv).
    @Test func theGraphLevelDecidesWhatTheRuntimeMakesOfTheGraph() async throws {
        try await withTemporaryDirectory { directory in
            var saved: [ONNXRuntimeSettings.GraphLevel: Data] = [:]
            for level in [ONNXRuntimeSettings.GraphLevel.disabled, .basic, .extended] {
                let path = "\(directory)/\(level.rawValue).onnx"
                _ = try ONNXSession(
                    file: try ModelFile(path: Fixtures.model("mobilenet_gen.onnx")),
                    options: SessionOptions(threads: 1, onnxRuntime: ONNXRuntimeSettings(graphLevel: level)), runtime: try ONNXRuntime.shared(),
                    graph: .optimizeSaving(to: path))
                saved[level] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
            // An op type is a string in the graph's protobuf (its nodes' `op_type`).
            let kept = saved.mapValues { ($0.range(of: Data("BatchNormalization".utf8)) != nil, $0.range(of: Data("FusedConv".utf8)) != nil) }
            #expect(kept[.disabled]! == (true, false))
            #expect(kept[.basic]! == (false, false))
            #expect(kept[.extended]! == (false, true))
        }
    }
}
