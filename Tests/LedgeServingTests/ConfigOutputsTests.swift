import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Testing

/// A config.pbtxt that lists some of a model's outputs serves only those, as Triton's backends do
/// (they complete a config's outputs only when it lists none): metadata, the completed config and
/// responses show them alone, and a request for another is refused by name.
@Suite struct ConfigOutputsTests {
    /// `add_sub.onnx` (a, b → sum, difference) in `directory`/add_sub/1, with `config`.
    static func makeModel(_ directory: String, config: String?) throws {
        try FileManager.default.createDirectory(atPath: directory + "/add_sub/1", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.model("add_sub.onnx"), toPath: directory + "/add_sub/1/model.onnx")
        if let config { try config.write(toFile: directory + "/add_sub/config.pbtxt", atomically: true, encoding: .utf8) }
    }

    /// a = [1, 2, 3, 4], b = [1, 1, 1, 1], asking for `outputs` (`nil`: every output served).
    static func request(outputs: [String]? = nil) -> InferenceRequest {
        let a = InferenceRequest.Input(name: "a", datatype: "FP32", shape: [1, 4], values: .json(.array([1, 2, 3, 4].map { .number($0) })))
        let b = InferenceRequest.Input(name: "b", datatype: "FP32", shape: [1, 4], values: .json(.array([1, 1, 1, 1].map { .number($0) })))
        return InferenceRequest(inputs: [a, b], outputs: outputs?.map { InferenceRequest.Output(name: $0) }, jsonByteCount: 100)
    }

    /// The names and values of a response's outputs.
    static func answer(_ request: InferenceRequest, _ model: ServedModel, _ repository: ModelRepository) async throws -> [String: [Float]] {
        let response = try await repository.infer(request, on: model)
        var result: [String: [Float]] = [:]
        for output in response.outputs {
            guard case .tensor(let tensor) = output.content else {
                Issue.record("no tensor for \(output.name)")
                continue
            }
            result[output.name] = tensor.values(as: Float.self)
        }
        return result
    }

    @Test(arguments: ["", "max_batch_size: 4\ndynamic_batching { }\n"])
    func aConfigListingOneOutputServesOnlyIt(batching: String) async throws {
        try await withTemporaryDirectory { directory in
            try Self.makeModel(directory, config: batching + "output [{ name: \"difference\", data_type: TYPE_FP32, dims: [4] }]\n")
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add_sub")
            #expect(model.info.outputs.map(\.name) == ["difference"])
            #expect(model.config.outputs.map(\.name) == ["difference"])
            #expect(model.config.inputs.map(\.name) == ["a", "b"])  // inputs are still completed
            #expect(try await Self.answer(Self.request(), model, repository) == ["difference": [0, 1, 2, 3]])
            #expect(try await Self.answer(Self.request(outputs: ["difference"]), model, repository) == ["difference": [0, 1, 2, 3]])
            await #expect(
                throws: LedgeError.invalidInput("requested output 'sum' is not an output of model 'add_sub': expected one of 'difference'")
            ) {
                _ = try await repository.infer(Self.request(outputs: ["sum"]), on: model)
            }
        }
    }

    /// Without a config, or with one listing no output, every output is served; listing both serves both.
    @Test(arguments: [
        nil, "max_batch_size: 4\n",
        "output [{ name: \"sum\", data_type: TYPE_FP32, dims: [-1, 4] }, { name: \"difference\", data_type: TYPE_FP32, dims: [-1, 4] }]\nmax_batch_size: 0\n",
    ])
    func everyOutputIsServedOtherwise(config: String?) async throws {
        try await withTemporaryDirectory { directory in
            try Self.makeModel(directory, config: config)
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add_sub")
            #expect(model.info.outputs.map(\.name) == ["sum", "difference"])
            #expect(try await Self.answer(Self.request(), model, repository) == ["sum": [2, 3, 4, 5], "difference": [0, 1, 2, 3]])
        }
    }

    /// Outputs listed in another order than the model's are served in the config's, as Triton's
    /// metadata and responses follow it.
    @Test func listedOutputsKeepTheConfigsOrder() async throws {
        try await withTemporaryDirectory { directory in
            try Self.makeModel(
                directory,
                config:
                    "max_batch_size: 4\noutput [{ name: \"difference\", data_type: TYPE_FP32, dims: [4] }, { name: \"sum\", data_type: TYPE_FP32, dims: [4] }]\n"
            )
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add_sub")
            #expect(model.info.outputs.map(\.name) == ["difference", "sum"])
            let response = try await repository.infer(Self.request(), on: model)
            #expect(response.outputs.map(\.name) == ["difference", "sum"])
            #expect(try await Self.answer(Self.request(), model, repository) == ["sum": [2, 3, 4, 5], "difference": [0, 1, 2, 3]])
        }
    }

    /// A listed output the model lacks is refused at load, naming every output the model has.
    @Test func aListedOutputTheModelLacksIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            try Self.makeModel(directory, config: "output [{ name: \"product\", data_type: TYPE_FP32, dims: [4] }]\n")
            #expect(
                throws: LedgeError.invalidModel(
                    "\(directory)/add_sub/config.pbtxt: output 'product' is not in the model: expected one of 'sum', 'difference'")
            ) {
                _ = try RepositoryVersionTests.load(directory)
            }
        }
    }
}
