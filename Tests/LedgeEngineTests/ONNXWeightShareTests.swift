import Foundation
import LedgeCore
@testable import LedgeEngine
@testable import LedgeONNX
import LedgeTesting
import Logging
import Testing

/// The served instances of an ONNX model share its weights: the sessions of the cached optimized
/// graph read one copy of its initializers (changing that copy changes what they all answer),
/// answer as a session of their own does, and a session outside the share keeps its own.
@Suite struct ONNXWeightShareTests {
    @Test(arguments: ["onnx_gen_b1", "ppocr_b1"])
    func aModelsServedSessionsReadOneCopyOfItsWeights(caseName: String) throws {
        let reference = try Fixtures.referenceCase(caseName)
        let runtime = try ONNXRuntime.shared()
        let file = try ModelFile(path: reference.model)
        try CacheFolderTesting.withDirectory("ledge-weight-share") { directory in
            var options = EngineOptions(
                session: SessionOptions(threads: 1, sharesMemory: true), onnxGraphCache: ONNXGraphCache(directory: directory))
            options.sharesWeights = true
            let capture = LogCapture()
            let logger = capture.logger(level: .debug)
            // The first optimizes the model, keeps the graph and reopens from it; the others load that graph: all share it.
            let sessions = try (0..<3).map { _ in try ModelLoader.open(file: file, options: options, logger: logger) }
            let share = try #require(file.onnxWeightShare(runtime: runtime, logger: logger))
            let shared = try #require(share.initializersInUse)
            let entry = try #require(CacheFolderTesting.entries(directory).first)
            let graph = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + entry)).dropLast(GraphSeal.size)
            let expected = try #require(ONNXInitializerScan.initializers(in: graph, minimumBytes: ONNXWeightShare.smallest))
            #expect(shared.values.map(\.name) == expected.map(\.name))
            #expect(!expected.isEmpty)
            let parsed = try #require(shared.externalGraph).count
            #expect(parsed < graph.count - expected.reduce(0) { $0 + $1.bytes.count } + 4096 * expected.count)
            let line =
                "\(reference.model): \(expected.count) initializers (\(shared.storage.byteCount) bytes) shared with the model's other sessions; ONNX Runtime parsed \(parsed) of the graph's \(graph.count) bytes"
            #expect(capture.messages.filter { $0 == line }.count == 3, "\(capture.messages)")

            let plain = try ONNXSession(file: try ModelFile(path: reference.model), options: SessionOptions(threads: 1), runtime: runtime)
            let own = try ONNXGraphCacheTests.values(plain, reference)
            let want = reference.outputs[0].values(as: Float.self)
            #expect(zip(own, want).map { abs($0 - $1) }.max() ?? 1 <= 1e-5)
            for session in sessions { #expect(try ONNXGraphCacheTests.values(session, reference) == own) }

            // The shared copy is what the sessions read: zero it, and they all answer otherwise.
            let saved = Data(bytes: shared.storage.baseAddress, count: shared.storage.byteCount)
            shared.storage.baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: shared.storage.byteCount)
            let changed = try sessions.map { try ONNXGraphCacheTests.values($0, reference) != own }
            saved.copyBytes(to: shared.storage.baseAddress.assumingMemoryBound(to: UInt8.self), count: saved.count)
            #expect(changed == [true, true, true])
            #expect(try ONNXGraphCacheTests.values(plain, reference) == own)
            for session in sessions { #expect(try ONNXGraphCacheTests.values(session, reference) == own) }
        }
    }
}
