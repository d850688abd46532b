import Foundation
import LedgeCore
import LedgeONNX
import LedgeTesting
import Logging
import Testing

@Suite(.ownThread) struct ONNXSessionTests {
    let ppocr = Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")

    @Test func runtimeLoadsAndReportsProviders() throws {
        let runtime = try ONNXRuntime.shared()
        #expect(runtime.version == "1.31.1")
        #expect(runtime.apiVersion == 15)
        #expect(runtime.buildInfo?.isEmpty == false)
        #expect(runtime.availableProviders.contains("CPUExecutionProvider"))
        #expect(try ONNXRuntime.shared(libraryPath: runtime.libraryPath) === runtime)
    }

    @Test func ppocrSpecs() throws {
        let session = try ONNXSession(path: ppocr)
        let info = session.info
        #expect(info.format == .onnx)
        #expect(info.runtimeVersion == "1.31.1")
        #expect(info.inputs == [TensorSpec(name: "x", dtype: .float32, shape: [-1, 3, -1, -1])])
        #expect(info.outputs.count == 1)
        #expect(info.outputs.first?.dtype == .float32)
        #expect(info.outputs.first?.shape == [-1, 2])
        #expect(info.operators.contains { $0.name == "Conv" && $0.count > 10 })
        #expect(info.quantized == QuantizedVerdict.no)
        #expect(info.metadata.properties["ir_version"] != nil)
        #expect(info.metadata.properties["opset_import"]?.hasPrefix("ai.onnx:") == true)
        #expect(session.provider == "cpu")
        #expect((session as any InferenceSession).executionProvider == "cpu")
    }

    @Test func generatedMobileNetSpecs() throws {
        let session = try ONNXSession(path: Fixtures.model("mobilenet_gen.onnx"))
        #expect(session.info.inputs == [TensorSpec(name: "input", dtype: .float32, shape: [-1, 3, 224, 224])])
        #expect(session.info.outputs == [TensorSpec(name: "output", dtype: .float32, shape: [-1, 1000])])
    }

    @Test(arguments: ["onnx_gen_b1", "onnx_gen_b4", "ppocr_b1", "ppocr_b4", "add_b2"])
    func matchesPythonReference(caseName: String) throws {
        let reference = try Fixtures.referenceCase(caseName)
        let session = try ONNXSession(path: reference.model)
        let outputs = try session.run(reference.inputs)
        #expect(outputs.count == reference.outputs.count)
        for (output, expected) in zip(outputs, reference.outputs) {
            #expect(output.dtype == expected.dtype)
            #expect(output.shape == expected.shape)
            #expect(maxAbsDifference(output, expected) <= 1e-5)
        }
    }

    @Test func threadCountsGiveIdenticalResults() throws {
        let reference = try Fixtures.referenceCase("ppocr_b4")
        let one = try ONNXSession(path: reference.model, options: SessionOptions(threads: 1))
        let two = try ONNXSession(path: reference.model, options: SessionOptions(threads: 2))
        #expect(one.threads == 1)
        #expect(two.threads == 2)
        let a = try one.run(reference.inputs)[0].values(as: Float.self)
        let b = try two.run(reference.inputs)[0].values(as: Float.self)
        #expect(a == b)
        let defaulted = try ONNXSession(path: reference.model)
        #expect(defaulted.threads == SessionOptions.defaultThreads)
        #expect(SessionOptions.defaultThreads == min(ProcessInfo.processInfo.activeProcessorCount, 4))
    }

    /// Sessions that share the environment's arena (`SessionOptions.sharesMemory`, what a
    /// served model's instances do), run at once, give what an arena of their own gives, to the bit.
    @Test(arguments: ["onnx_gen_b4", "ppocr_b4"])
    func sessionsSharingTheArenaGiveIdenticalResults(caseName: String) async throws {
        #expect(try ONNXRuntime.shared().hasSharedArena)
        let reference = try Fixtures.referenceCase(caseName)
        let own = try ONNXSession(path: reference.model, options: SessionOptions(threads: 1))
        let expected = try own.run(reference.inputs)[0].values(as: Float.self)
        #expect(maxAbsDifference(try own.run(reference.inputs)[0], reference.outputs[0]) <= 1e-5)
        let shared = try (0..<2).map { _ in
            try ONNXSession(path: reference.model, options: SessionOptions(threads: 1, sharesMemory: true))
        }
        let inputs = reference.inputs
        try await withThrowingTaskGroup(of: [Float].self) { group in
            for session in shared {
                group.addTask {
                    var last: [Float] = []
                    for _ in 0..<3 { last = try session.run(inputs)[0].values(as: Float.self) }
                    return last
                }
            }
            for try await values in group { #expect(values == expected) }
        }
    }

    /// A requested provider, the one library provider that must be missing for the case to hold, and the
    /// warning logged (`{available}` standing for the library's providers); `nil` when nothing is logged.
    struct ProviderCase: Sendable, CustomTestStringConvertible {
        var requested: String
        var absent: String?
        var warning: String?
        var testDescription: String { requested }
    }

    static let providerCases = [
        ProviderCase(
            requested: "warp-drive", absent: nil,
            warning: "unknown execution provider 'warp-drive'; this ONNX Runtime library has {available}; falling back to CPU"),
        ProviderCase(
            requested: "CUDA", absent: "CUDAExecutionProvider",
            warning:
                "execution provider 'cuda' (CUDAExecutionProvider) is not in this ONNX Runtime library, which has {available}; falling back to CPU"),
        ProviderCase(requested: "CPUExecutionProvider", absent: nil, warning: nil),
    ]

    @Test(arguments: providerCases)
    func unavailableProvidersFallBackToCPUWithOneWarning(_ c: ProviderCase) throws {
        let log = CapturedLog()
        let runtime = try ONNXRuntime.shared()
        if let absent = c.absent { try #require(!runtime.availableProviders.contains(absent)) }
        let session = try ONNXSession(
            file: try ModelFile(path: ppocr), options: SessionOptions(provider: c.requested),
            runtime: runtime, logger: log.logger)
        #expect(session.provider == "cpu")
        let available = runtime.availableProviders.joined(separator: ", ")
        let expected = c.warning.map { [$0.replacingOccurrences(of: "{available}", with: available)] } ?? []
        #expect(log.messages.map(\.message) == expected)
        #expect(log.messages.allSatisfy { $0.level == .warning })
    }

    @Test func outputsOutliveTheSession() throws {
        let reference = try Fixtures.referenceCase("ppocr_b1")
        var outputs: [Tensor] = []
        do {
            let session = try ONNXSession(path: reference.model)
            outputs = try session.run(reference.inputs)
        }
        #expect(maxAbsDifference(outputs[0], reference.outputs[0]) <= 1e-5)
    }

    @Test func concurrentRunsOnOneSessionAgree() async throws {
        let reference = try Fixtures.referenceCase("ppocr_b1")
        let session = try ONNXSession(path: reference.model, options: SessionOptions(threads: 1))
        let inputs = reference.inputs
        let results = try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<8 { group.addTask { try session.run(inputs)[0].values(as: Float.self) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 == results[0] })
        let first = Tensor(dtype: .float32, shape: reference.outputs[0].shape, values: results[0])
        #expect(maxAbsDifference(first, reference.outputs[0]) <= 1e-5)
    }

    /// A run under way is stopped by ``ONNXSession/interrupt(reason:)`` (ONNX Runtime's terminate
    /// flag) and fails with the reason, as does every later run. slow_gen.onnx tiled 40000 times
    /// runs for seconds (~13 s on 2 threads here); without the interruption it answers y = x.
    @Test func aRunUnderWayIsInterrupted() async throws {
        let session = try ONNXSession(path: Fixtures.model("slow_gen.onnx"), options: SessionOptions(threads: 1))
        let x = Tensor(dtype: .float32, shape: [1, 256], values: (0..<256).map(Float.init))
        let small = try session.run([x, Tensor(dtype: .int64, shape: [2], values: [Int64(2), 1])])
        #expect(small.first?.values(as: Float.self) == (0..<256).map(Float.init))
        let long = Task.detached { try session.run([x, Tensor(dtype: .int64, shape: [2], values: [Int64(40_000), 1])]) }
        try await Task.sleep(for: .milliseconds(500))  // well inside the run
        session.interrupt(reason: "stopped by the test")
        await #expect(throws: LedgeError(.busy, "stopped by the test")) { try await long.value }
        #expect(throws: LedgeError(.busy, "stopped by the test")) {
            try session.run([x, Tensor(dtype: .int64, shape: [2], values: [Int64(1), 1])])
        }
    }
}
