import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Logging
import Synchronization
import Testing

/// Triton's repository behaviour on a real folder: version policies, states and reasons
/// in the index, explicit load and unload, poll mode picking up changes.
@Suite(.ownThread) struct RepositoryVersionTests {
    static let logger: Logger = {
        var logger = Logger(label: "ledge.repository.tests")
        logger.logLevel = .critical
        return logger
    }()

    static func load(_ directory: String, _ options: RepositoryOptions = RepositoryOptions()) throws -> ModelRepository {
        try ModelRepository.load(.repository(path: directory), options: options, logger: logger)
    }

    static func states(_ repository: ModelRepository) -> [String] {
        repository.index().map { "\($0.name)/\($0.version ?? "-") \($0.state ?? "-")" }
    }

    /// `sum` of `a + b` for a = [1,2,3,4], b = [1,1,1,1] on `model`.
    static func sum(_ repository: ModelRepository, _ model: ServedModel) async throws -> [Float] {
        let a = InferenceRequest.Input(name: "a", datatype: "FP32", shape: [1, 4], values: .json(.array([1, 2, 3, 4].map { .number(Double($0)) })))
        let b = InferenceRequest.Input(name: "b", datatype: "FP32", shape: [1, 4], values: .json(.array([1, 1, 1, 1].map { .number(Double($0)) })))
        return try await firstOutput(of: InferenceRequest(inputs: [a, b], jsonByteCount: 100), on: model, in: repository)?
            .values(as: Float.self) ?? []
    }

    /// The first output tensor of `request` on `model`; `nil` (recorded as an issue) when it has none.
    static func firstOutput(of request: InferenceRequest, on model: ServedModel, in repository: ModelRepository) async throws -> Tensor? {
        let response = try await repository.infer(request, on: model)
        guard case .tensor(let tensor)? = response.outputs.first?.content else {
            Issue.record("no tensor: \(response.outputs)")
            return nil
        }
        return tensor
    }

    @Test(arguments: [
        ("", ["add/3 READY"]),
        ("version_policy: { latest: { num_versions: 2 } }", ["add/2 READY", "add/3 READY"]),
        ("version_policy: { all: {} }", ["add/1 READY", "add/2 READY", "add/3 READY"]),
        ("version_policy { specific { versions: [1, 3, 7] } }", ["add/1 READY", "add/3 READY"]),
    ])
    func versionPolicySelectsTheVersionsServed(policy: String, expected: [String]) async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1, 2, 3], plusOne: [3], config: policy)
            let repository = try Self.load(directory)
            #expect(Self.states(repository) == expected)
            // Unversioned requests go to the highest ready version (3: add_one).
            #expect(try repository.model(named: "add").version == "3")
            #expect(try await Self.sum(repository, try repository.model(named: "add")) == [3, 4, 5, 6])
            if expected.contains("add/1 READY") {
                #expect(try await Self.sum(repository, try repository.model(named: "add", version: "1")) == [2, 3, 4, 5])
            } else {
                let ready = expected.map { String($0.dropFirst(4).prefix(1)) }.joined(separator: ", ")
                #expect(throws: LedgeError.notFound("model 'add' has no version '1': expected \(ready)")) {
                    try repository.model(named: "add", version: "1")
                }
            }
        }
    }

    @Test func flatFolderIsVersionOneAndABrokenModelIsListedWithItsReason() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/flat", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: directory + "/flat/add.onnx")
            try Fixtures.makeModel(directory, "broken", versions: [])
            try FileManager.default.createDirectory(atPath: directory + "/broken/1", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.model("truncated.onnx"), toPath: directory + "/broken/1/model.onnx")
            let repository = try Self.load(directory)
            let index = repository.index()
            #expect(Self.states(repository) == ["broken/1 UNAVAILABLE", "flat/1 READY"])
            let reason = try #require(index.first?.reason)
            #expect(reason.hasPrefix(directory + "/broken/1/model.onnx: "), "\(reason)")
            #expect(repository.index(readyOnly: true).map(\.name) == ["flat"])
        }
    }

    @Test func explicitModeLoadsAndUnloadsOnRequest() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1])
            try Fixtures.makeModel(directory, "other", versions: [1])
            let repository = try Self.load(directory, RepositoryOptions(controlMode: .explicit, startupModels: ["other"]))
            #expect(repository.index() == [ModelRepository.IndexEntry(name: "add"), .init(name: "other", version: "1", state: "READY")])
            try await repository.load("add")
            #expect(Self.states(repository) == ["add/1 READY", "other/1 READY"])
            try await repository.unload("add")
            #expect(repository.index().first == ModelRepository.IndexEntry(name: "add", version: "1", state: "UNAVAILABLE", reason: "unloaded"))
            #expect(throws: LedgeError.unknownModel("add")) { try repository.model(named: "add") }
            await #expect(throws: LedgeError.unknownModel("nothing")) { try await repository.load("nothing") }
        }
    }

    /// A load that succeeded says so even when an unload queued right behind it has already
    /// run by the time the load answers (it read the model after the unload: a 400 "did not load").
    @Test func aLoadAnswersWhatItDidNotWhatCameAfter() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1])
            let repository = try Self.load(directory, RepositoryOptions(controlMode: .explicit))
            // Hold the change queue, queue the load and then the unload behind it; hold Swift's pool
            // (the load's task resumes there) while both run, so the load answers after the unload.
            let queue = DispatchSemaphore(value: 0)
            let pool = DispatchSemaphore(value: 0)
            let threads = ProcessInfo.processInfo.activeProcessorCount
            repository.changes.async { queue.wait() }
            let load = Task.detached { try await repository.load("add") }
            try await Task.sleep(for: .milliseconds(300))
            let unload = Task.detached { try await repository.unload("add") }
            try await Task.sleep(for: .milliseconds(300))
            for _ in 0..<threads { Task.detached { pool.wait() } }
            try await Task.sleep(for: .milliseconds(100))
            queue.signal()
            try await Task.sleep(for: .milliseconds(300))
            for _ in 0..<threads { pool.signal() }
            try await load.value
            try await unload.value
            #expect(Self.states(repository) == ["add/1 UNAVAILABLE"])
        }
    }

    @Test func loadAndUnloadAreRefusedOutsideExplicitMode() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1])
            let repository = try Self.load(directory, RepositoryOptions(controlMode: .poll))
            await #expect(
                throws: LedgeError.usage("cannot unload models: the model control mode is poll: expected --model-control-mode explicit")
            ) { try await repository.unload("add") }
        }
    }

    @Test func pollLoadsANewVersionAndKeepsServingWhenOneFails() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1])
            let repository = try Self.load(directory, RepositoryOptions(controlMode: .poll))
            let first = try repository.model(named: "add")
            try Fixtures.makeModel(directory, "staging", versions: [2], plusOne: [2])
            try FileManager.default.moveItem(atPath: directory + "/staging/2", toPath: directory + "/add/2")
            try FileManager.default.removeItem(atPath: directory + "/staging")
            await repository.poll()
            #expect(Self.states(repository) == ["add/1 UNAVAILABLE", "add/2 READY"])
            #expect(repository.index().first?.reason == "unloaded")
            #expect(try await Self.sum(repository, try repository.model(named: "add")) == [3, 4, 5, 6])
            // A request holding version 1 still finishes on it.
            #expect(try await Self.sum(repository, first) == [2, 3, 4, 5])

            try FileManager.default.createDirectory(atPath: directory + "/add/3", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.model("empty.onnx"), toPath: directory + "/add/3/model.onnx")
            await repository.poll()
            #expect(Self.states(repository) == ["add/1 UNAVAILABLE", "add/2 READY", "add/3 UNAVAILABLE"])
            #expect(try repository.model(named: "add").version == "2")
            #expect(repository.index().last?.reason == "model file is empty: \(directory)/add/3/model.onnx")

            try FileManager.default.removeItem(atPath: directory + "/add")
            await repository.poll()
            #expect(
                repository.index()
                    == ["1", "2"].map { ModelRepository.IndexEntry(name: "add", version: $0, state: "UNAVAILABLE", reason: "unloaded") })
        }
    }
}

/// config.pbtxt in the repository: what it sets is used, what it gets wrong is named in the index.
@Suite(.ownThread) struct RepositoryConfigTests {
    @Test func configSetsInstancesAndIsCompletedFromTheModel() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(
                directory, versions: [1],
                config: """
                    # two instances of one thread each
                    instance_group [ { count: 2, kind: KIND_CPU } ]
                    parameters { key: "threads" value: { string_value: "1" } }
                    """)
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add")
            #expect(model.pool.instances.count == 2)
            #expect(model.config.maxBatchSize == 8)
            #expect(model.config.inputs.map(\.dims) == [[4], [4]])
            #expect(model.config.json().contains(#""instance_group":[{"count":2,"kind":"KIND_CPU"}]"#))
        }
    }

    /// A group without a count gets Triton's default for the backend (two CPU instances of an ONNX
    /// model: it gave one), and instances without a thread count share the cores, as Triton's ONNX
    /// Runtime instances each take every core (they ran on one thread each); 4 cores here.
    @Test(arguments: [
        ("instance_group [ { kind: KIND_CPU } ]", [2, 2]),
        ("instance_group { count: 1 }", [4]),
        ("instance_group { count: 1 }\nparameters { key: \"intra_op_thread_count\" value { string_value: \"0\" } }", [4]),
        ("instance_group { count: 3 }", [1, 1, 1]),
        ("instance_group { count: 1 }\nparameters { key: \"threads\" value { string_value: \"1\" } }", [1]),
    ])
    func instancesWithoutThreadsShareTheCores(config: String, threads: [Int]) async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1], config: config)
            let repository = try RepositoryVersionTests.load(directory, RepositoryOptions(instances: nil, cores: 4))
            let model = try repository.model(named: "add")
            #expect(model.pool.instances.map(\.threads) == threads)
            #expect(model.config.json().contains(#""instance_group":[{"count":\#(threads.count),"kind":"KIND_CPU"}]"#))
        }
    }

    /// Sizes a config fixes where the model's are dynamic are the served ones, as Triton serves
    /// them: the metadata shows them, and a request of another size is refused before it runs.
    @Test func sizesTheConfigFixesAreServed() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(
                directory, versions: [1], config: "max_batch_size: 0\ninput [{ name: \"a\", data_type: TYPE_FP32, dims: [1, 4] }]\n")
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add")
            #expect(model.info.inputs.map(\.shape) == [[1, 4], [-1, 4]])
            #expect(model.info.outputs.map(\.shape) == [[-1, 4]])
            #expect(try await RepositoryVersionTests.sum(repository, model) == [2, 3, 4, 5])
            let values = JSONValue.array((0..<8).map { .number(Double($0)) })
            let request = InferenceRequest(
                inputs: [
                    InferenceRequest.Input(name: "a", datatype: "FP32", shape: [2, 4], values: .json(values)),
                    InferenceRequest.Input(name: "b", datatype: "FP32", shape: [2, 4], values: .json(values)),
                ], jsonByteCount: 100)
            await #expect(throws: LedgeError.invalidInput("input 'a': shape [2, 4] does not match the model: expected [1, 4]")) {
                _ = try await repository.infer(request, on: model)
            }
        }
    }

    /// Triton's file names: `default_model_filename` picks the file of each version folder (among
    /// several), an output's `label_filename` the class names; each one missing is named.
    @Test func tritonsFileNamesAreRead() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(
                directory, versions: [1],
                config: """
                    default_model_filename: "net.onnx"
                    output [{ name: "sum", data_type: TYPE_FP32, dims: [4], label_filename: "names.txt" }]
                    """)
            let folder = directory + "/add"
            try FileManager.default.moveItem(atPath: folder + "/1/model.onnx", toPath: folder + "/1/net.onnx")
            try FileManager.default.copyItem(atPath: Fixtures.model("add_one.onnx"), toPath: folder + "/1/other.onnx")
            try "zero\none\ntwo\nthree\n".write(toFile: folder + "/names.txt", atomically: true, encoding: .utf8)
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add")
            #expect(model.labels == ["zero", "one", "two", "three"])
            #expect(try await RepositoryVersionTests.sum(repository, model) == [2, 3, 4, 5])  // net.onnx (add), not other.onnx (add one)
            #expect(model.config.json().contains(#""default_model_filename":"net.onnx""#))

            try FileManager.default.removeItem(atPath: folder + "/names.txt")
            try FileManager.default.moveItem(atPath: folder + "/1/net.onnx", toPath: folder + "/1/renamed.onnx")
            // The only model of a repository that does not load stops the load, with its reason.
            #expect(
                throws: LedgeError.invalidModel(
                    "model 'add' version folder '\(folder)/1': default_model_filename 'net.onnx' is not there: found other.onnx, renamed.onnx")
            ) { try RepositoryVersionTests.load(directory) }
            try FileManager.default.moveItem(atPath: folder + "/1/renamed.onnx", toPath: folder + "/1/net.onnx")
            #expect(throws: LedgeError.invalidModel("\(folder)/config.pbtxt: label_filename 'names.txt' is not in the model's folder \(folder)")) {
                try RepositoryVersionTests.load(directory)
            }
        }
    }

    /// `reshape`: clients send and get the config's dims, the model runs on the reshape's shape.
    @Test func reshapedTensorsAreSeenInTheirDims() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(
                directory, versions: [1],
                config: """
                    max_batch_size: 0
                    input [{ name: "a", data_type: TYPE_FP32, dims: [4], reshape { shape: [1, 4] } },
                           { name: "b", data_type: TYPE_FP32, format: FORMAT_NONE, dims: [2, 2], reshape { shape: [1, 4] } }]
                    output [{ name: "sum", data_type: TYPE_FP32, dims: [2, 2], reshape { shape: [1, 4] } }]
                    """)
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add")
            #expect(model.info.inputs.map(\.shape) == [[4], [2, 2]])
            #expect(model.info.outputs.map(\.shape) == [[2, 2]])
            #expect(model.config.json().contains(#""reshape":{"shape":[1,4]}"#))
            let request = InferenceRequest(
                inputs: [
                    InferenceRequest.Input(name: "a", datatype: "FP32", shape: [4], values: .json(.array([1, 2, 3, 4].map { .number($0) }))),
                    InferenceRequest.Input(name: "b", datatype: "FP32", shape: [2, 2], values: .json(.array([1, 1, 1, 1].map { .number($0) }))),
                ], jsonByteCount: 100)
            guard let sum = try await RepositoryVersionTests.firstOutput(of: request, on: model, in: repository) else { return }
            #expect(sum.shape == [2, 2])
            #expect(sum.values(as: Float.self) == [2, 3, 4, 5])
        }
    }

    /// With a batch dimension, the reshape is of each item: [N, 2, 2] in, [N, 4] to the model; also
    /// through the dynamic batcher, which checks a request's inputs as the model takes them (it
    /// refused every request of a reshaped input: `expected shape [-1, 4], got [2, 2, 2]`).
    @Test(arguments: ["", "dynamic_batching { }"])
    func aReshapeKeepsTheBatchDimension(batching: String) async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(
                directory, versions: [1],
                config: """
                    max_batch_size: 4
                    input [{ name: "a", data_type: TYPE_FP32, dims: [2, 2], reshape { shape: [4] } }]
                    output [{ name: "sum", data_type: TYPE_FP32, dims: [2, 2], reshape { shape: [4] } }]
                    \(batching)
                    """)
            let repository = try RepositoryVersionTests.load(directory)
            let model = try repository.model(named: "add")
            #expect((model.batcher != nil) == !batching.isEmpty)
            #expect(model.info.inputs.map(\.shape) == [[-1, 2, 2], [-1, 4]])
            let request = InferenceRequest(
                inputs: [
                    InferenceRequest.Input(
                        name: "a", datatype: "FP32", shape: [2, 2, 2], values: .json(.array((1...8).map { .number(Double($0)) }))),
                    InferenceRequest.Input(name: "b", datatype: "FP32", shape: [2, 4], values: .json(.array((1...8).map { _ in .number(1) }))),
                ], jsonByteCount: 100)
            guard let sum = try await RepositoryVersionTests.firstOutput(of: request, on: model, in: repository) else { return }
            #expect(sum.shape == [2, 2, 2])
            #expect(sum.values(as: Float.self) == [2, 3, 4, 5, 6, 7, 8, 9])
        }
    }

    /// A config naming the model otherwise is served under its folder's name, which the completed
    /// config shows too (it showed the config's), with a warning.
    @Test func aConfigsOtherNameIsNotTheServedOne() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, versions: [1], config: "name: \"othername\"\n")
            let capture = LogCapture()
            let repository = try ModelRepository.load(
                .repository(path: directory), options: RepositoryOptions(), logger: capture.logger(level: .warning))
            let model = try repository.model(named: "add")
            #expect(model.config.name == "add")
            #expect(model.config.json().contains(#""name":"add""#))
            #expect(capture.messages.contains("\(directory)/add/config.pbtxt: name 'othername' is not the model's: it is served as 'add'"))
        }
    }

    @Test func dynamicBatchingComesFromTheConfigElseFromTheServerDefault() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(
                directory, "configured", versions: [1],
                config: "max_batch_size: 4\ndynamic_batching { preferred_batch_size: [ 2 ] max_queue_delay_microseconds: 500 }\n")
            try Fixtures.makeModel(directory, "plain", versions: [1])
            try Fixtures.makeModel(directory, "off", versions: [1], config: "max_batch_size: 0\n")
            let server = BatchingPolicy(maxBatchSize: 8, maxQueueDelay: .microseconds(100))
            let repository = try RepositoryVersionTests.load(directory, RepositoryOptions(batching: server))
            #expect(
                try repository.model(named: "configured").batcher?.policy
                    == BatchingPolicy(maxBatchSize: 4, preferredBatchSizes: [2], maxQueueDelay: .microseconds(500)))
            #expect(try repository.model(named: "plain").batcher?.policy == server)
            #expect(try repository.model(named: "plain").config.dynamicBatching?.maxQueueDelayMicroseconds == 100)
            #expect(try repository.model(named: "off").batcher == nil)
        }
    }

    @Test func configErrorsNameTheFieldInTheIndex() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory, "unsupported", versions: [1], config: "name: \"x\"\noptimization { }\nsequence_batching { }\n")
            try Fixtures.makeModel(
                directory, "mismatch", versions: [1], config: "input [ { name: \"a\", data_type: TYPE_INT8, dims: [ 4 ] } ]\n")
            try Fixtures.makeModel(directory, "good", versions: [1])
            let repository = try RepositoryVersionTests.load(directory)
            let index = Dictionary(uniqueKeysWithValues: repository.index().map { ($0.name, $0) })
            #expect(index["good"]?.state == "READY")
            #expect(index["unsupported"]?.state == "UNAVAILABLE")
            #expect(
                index["unsupported"]?.reason?.hasPrefix(
                    "\(directory)/unsupported/config.pbtxt:3:1: field 'sequence_batching' is not supported by ledge: expected one of name, ") == true,
                "\(index["unsupported"]?.reason ?? "")")
            #expect(index["mismatch"]?.version == "1" && index["mismatch"]?.state == "UNAVAILABLE")
            #expect(
                index["mismatch"]?.reason
                    == "\(directory)/mismatch/config.pbtxt: input 'a': data_type TYPE_INT8 does not match the model: expected TYPE_FP32",
                "\(index["mismatch"]?.reason ?? "")")
        }
    }
}

/// config.pbtxt's `model_warmup`: samples run on every instance before it serves; one that does
/// not fit the model fails the load with its name and why, in the index.
@Suite(.ownThread) struct ModelWarmupTests {
    static let sample = """
        model_warmup [{
          name: "sample"
          batch_size: 2
          inputs { key: "a" value: { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } }
          inputs { key: "b" value: { data_type: TYPE_FP32 dims: [ 4 ] %@ } }
          count: 2
        }]
        """

    @Test func samplesRunBeforeServingAndBadOnesFailTheLoad() async throws {
        try await withTemporaryDirectory { directory in
            let cases = [
                ("file", #"input_data_file: "b.raw""#), ("noise", "random_data: true"), ("short", #"input_data_file: "short.raw""#),
                ("missing", #"input_data_file: "none.raw""#),
            ]
            for (name, data) in cases {
                try Fixtures.makeModel(directory, name, versions: [1], config: Self.sample.replacingOccurrences(of: "%@", with: data))
                try FileManager.default.createDirectory(atPath: "\(directory)/\(name)/warmup", withIntermediateDirectories: true)
                try Data(repeating: 0, count: 16).write(to: URL(fileURLWithPath: "\(directory)/\(name)/warmup/b.raw"))
                try Data(repeating: 0, count: 8).write(to: URL(fileURLWithPath: "\(directory)/\(name)/warmup/short.raw"))
            }
            let wrongShape = Self.sample.replacingOccurrences(of: "%@", with: "zero_data: true").replacingOccurrences(
                of: #"key: "b" value: { data_type: TYPE_FP32 dims: [ 4 ]"#, with: #"key: "b" value: { data_type: TYPE_FP32 dims: [ 3 ]"#)
            try Fixtures.makeModel(directory, "shape", versions: [1], config: wrongShape)
            let half = "model_warmup { name: \"half\" inputs { key: \"a\" value: { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } } }"
            try Fixtures.makeModel(directory, "half", versions: [1], config: half)
            let capture = LogCapture()
            let repository = try ModelRepository.load(.repository(path: directory), options: RepositoryOptions(), logger: capture.logger())
            let index = Dictionary(uniqueKeysWithValues: repository.index().map { ($0.name, $0) })
            #expect(index["file"]?.state == "READY" && index["noise"]?.state == "READY")
            for name in ["file", "noise"] {
                let model = try repository.model(named: name)
                #expect(try await RepositoryVersionTests.sum(repository, model) == [2, 3, 4, 5])
                let lines = capture.events.withLock { $0.map(\.message) }
                #expect(lines.contains { $0.hasPrefix("model '\(name)' version 1: model_warmup 'sample' ×2 run on 1 instance in ") }, "\(lines)")
            }
            let config = "\(directory)/%@/config.pbtxt: model_warmup "
            let reasons = [
                "short": "'sample': \(directory)/short/warmup/short.raw holds 8 bytes but input 'b' of shape [4] (TYPE_FP32) needs 16",
                "missing": "'sample': warmup input file not found: \(directory)/missing/warmup/none.raw",
                "half": "'half': input 'b' of the model is not given: expected every input",
            ]
            for (name, reason) in reasons {
                #expect(index[name]?.state == "UNAVAILABLE")
                #expect(index[name]?.reason == config.replacingOccurrences(of: "%@", with: name) + reason, "\(index[name]?.reason ?? "")")
            }
            // Shapes are the runtime's to check: the sample ran, and its failure is the load's.
            #expect(index["shape"]?.state == "UNAVAILABLE")
            #expect(
                index["shape"]?.reason?.hasPrefix(config.replacingOccurrences(of: "%@", with: "shape") + "'sample': ") == true,
                "\(index["shape"]?.reason ?? "")")
        }
    }
}
