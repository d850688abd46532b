import Dispatch
import Foundation
import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeTesting
import LedgeVision
import Logging
import Testing

/// The image endpoint decodes and preprocesses on the request's task and holds
/// an instance only for the session run.
@Suite(.ownThread) struct ClassifyOffInstanceTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func model(exactDecode: Bool = false) throws -> ServedModel {
        let repository = try ModelRepository.load(
            .files([ModelFileSource(path: Fixtures.model("efficientnet_lite0.tflite"), name: "efficientnet")]),
            options: RepositoryOptions(instances: 1, queueLimit: 0, exactDecode: exactDecode), logger: Self.logger)
        return try repository.model(named: "efficientnet")
    }

    func upload(_ name: String) throws -> ImageUpload {
        ImageUpload(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.image(name))), name: name)
    }

    @Test func imagesDecodeWhileTheOnlyInstanceIsBusy() async throws {
        let model = try model()
        let release = DispatchSemaphore(value: 0)
        let started = Flag()
        let holder = Task {
            try await model.pool.run { _ in
                started.set(); release.wait(); return 1
            }
        }
        defer { release.signal() }
        while !started.isSet { await Task.yield() }
        // A broken image fails in decode, before it asks for an instance ...
        await #expect(throws: LedgeError.invalidInput("truncated.jpg: corrupt or truncated JPEG (Premature end of JPEG file)")) {
            try await model.classify(try upload("truncated.jpg"), topK: 1)
        }
        // ... a good one is decoded, then finds no instance and no room to wait.
        await #expect(throws: LedgeError.busy(model: "efficientnet", waiting: 0, limit: 0)) {
            try await model.classify(try upload("chelsea.jpg"), topK: 1)
        }
        release.signal()
        #expect(try await holder.value == 1)
    }

    @Test(arguments: [false, true])
    func timingsSplitBetweenTheRequestAndTheInstance(exactDecode: Bool) async throws {
        let model = try model(exactDecode: exactDecode)
        #expect(model.imagePipeline?.preprocessor.exactDecode == exactDecode)
        let execution = try await model.classify(try upload("chelsea_640x480.jpg"), topK: 3)
        let result = execution.value
        #expect(result.top.first?.label == "Egyptian cat")
        #expect(result.imageSize == (exactDecode ? ImageSize(width: 640, height: 480) : ImageSize(width: 320, height: 240)))
        #expect(result.inferenceMilliseconds == [execution.compute.milliseconds])
        #expect(execution.input == .nanoseconds(Int64(((result.decodeMilliseconds + result.preprocessMilliseconds) * 1e6).rounded())))
        #expect(result.decodeMilliseconds > 0 && result.preprocessMilliseconds > 0 && result.postprocessMilliseconds >= 0)
    }

    @Test func modelsWithoutOneImageInputSayWhy() async throws {
        let repository = try ModelRepository.load(
            .files([ModelFileSource(path: Fixtures.model("add.onnx"), name: "add")]),
            options: RepositoryOptions(), logger: Self.logger)
        let model = try repository.model(named: "add")
        #expect(model.imagePipeline == nil)
        let reason = try #require(model.imagePipelineError)
        await #expect(throws: LedgeError.invalidInput("model 'add' cannot classify images: \(reason)")) {
            try await model.classify(try upload("chelsea.jpg"), topK: 1)
        }
    }
}
