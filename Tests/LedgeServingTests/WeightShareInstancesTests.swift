import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// A served ONNX model's instances share one copy of its weights when there are several of them;
/// a model served by one instance keeps its own (sharing would only keep a packed kernel's
/// weights twice).
@Suite(.ownThread) struct WeightShareInstancesTests {
    @Test(arguments: [(1, 0), (3, 3)])
    func instancesShareTheWeightsWhenThereAreSeveral(instances: Int, sharing: Int) async throws {
        try await withTemporaryDirectory { directory in
            let engine = EngineOptions(onnxGraphCache: ONNXGraphCache(directory: directory))
            let options = RepositoryOptions(engine: engine, instances: instances, cores: 2)
            let source = ModelSource.file(path: Fixtures.model("mobilenet_gen.onnx"), name: "mobilenet")
            _ = try ModelRepository.load(source, options: options, logger: Logger(label: "test"))  // fills the graph cache
            let capture = LogCapture()
            let repository = try ModelRepository.load(source, options: options, logger: capture.logger(level: .debug))
            #expect(try repository.model(named: "mobilenet").pool.instances.count == instances)
            let lines = capture.messages.filter { $0.contains("initializers (") && $0.contains("shared with the model's other sessions") }
            #expect(lines.count == sharing, "\(lines)")
        }
    }
}
