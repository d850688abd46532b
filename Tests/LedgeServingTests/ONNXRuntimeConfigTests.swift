import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// A config.pbtxt's ONNX Runtime settings (Triton's backend's `optimization.graph.level` and
/// parameters) open the model's instances, as the load's log line says; a TFLite model's config
/// that gives them is served without them, with a warning naming each.
@Suite struct ONNXRuntimeConfigTests {
    static let settings = """
        optimization { graph { level: -1 } }
        parameters [{ key: "execution_mode" value { string_value: "1" } }, { key: "inter_op_thread_count" value { string_value: "2" } },
                    { key: "enable_mem_arena" value { string_value: "false" } }, { key: "enable_mem_pattern" value { string_value: "off" } }]

        """

    @Test func anONNXModelRunsWithTheConfigsSettings() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1], config: Self.settings)
            let capture = LogCapture()
            let repository = try ModelRepository.load(
                .repository(path: directory), options: RepositoryOptions(instances: 2),
                logger: capture.logger(level: .info))
            let model = try repository.model(named: "add")
            #expect(try await RepositoryVersionTests.sum(repository, model) == [2, 3, 4, 5])
            let line = capture.messages.first { $0.hasPrefix("loaded model 'add'") } ?? ""
            #expect(
                line.hasSuffix(
                    "; ONNX Runtime: graph optimization basic, parallel execution on 2 inter-op threads, memory arena off, memory pattern off"),
                "\(line)")
            #expect(!capture.messages.contains { $0.contains("not read by ledge") }, "\(capture.messages)")
            #expect(model.config.json().contains(#""optimization":{"graph":{"level":-1}}"#))
        }
    }

    @Test func aTFLiteModelIsServedWithoutThem() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/effnet/1", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.model("efficientnet_lite0.tflite"), toPath: directory + "/effnet/1/model.tflite")
            try Self.settings.write(toFile: directory + "/effnet/config.pbtxt", atomically: true, encoding: .utf8)
            let capture = LogCapture()
            _ = try ModelRepository.load(.repository(path: directory), options: RepositoryOptions(instances: 1), logger: capture.logger(level: .info))
            let config = "\(directory)/effnet/config.pbtxt"
            #expect(capture.messages.contains("\(config): optimization.graph.level applies to ONNX models: model 'effnet' is served without it"))
            #expect(
                capture.messages.contains(
                    "\(config): parameters 'enable_mem_arena', 'enable_mem_pattern', 'execution_mode', 'inter_op_thread_count' apply to ONNX models: model 'effnet' is served without them"
                ), "\(capture.messages)")
            #expect(!capture.messages.contains { $0.contains("ONNX Runtime:") })
        }
    }
}
