#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import GRPCCore
@testable import LedgeGRPC
import LedgeServing
import SwiftProtobuf
import Synchronization
import LedgeServingTesting
import LedgeTesting
import Testing

/// The service over the in-process transport: inference with raw and typed
/// contents, errors as status codes with the HTTP texts, the stream, auth, metrics.
@Suite(.ownThread) struct GRPCServiceTests {
    @Test func infersFromRawAndTypedContents() async throws {
        let repository = try InProcessServer.repository()
        try await InProcessServer.with(repository) { client in
            let raw = try await client.modelInfer(InProcessServer.addRequest([1, 2, 3, 4], [10, 20, 30, 40], id: "job-1"))
            #expect(raw.modelName == "add")
            #expect(raw.modelVersion == "1")
            #expect(raw.id == "job-1")
            #expect(raw.outputs.map(\.name) == ["sum"])
            #expect(raw.outputs.map(\.datatype) == ["FP32"])
            #expect(raw.outputs.map(\.shape) == [[1, 4]])
            #expect(InProcessServer.floats(raw) == [11, 22, 33, 44])

            var typed = InProcessServer.addRequest([1, 2, 3, 4], [0.5, 0.5, 0.5, 0.5])
            typed.rawInputContents = []
            typed.inputs[0].contents.fp32Contents = [1, 2, 3, 4]
            typed.inputs[1].contents.fp32Contents = [0.5, 0.5, 0.5, 0.5]
            #expect(InProcessServer.floats(try await client.modelInfer(typed)) == [1.5, 2.5, 3.5, 4.5])
        }
    }

    /// Each malformed request: its status code and the message HTTP gives for the same fault.
    @Test func badRequestsGetStatusCodesAndTheHTTPTexts() async throws {
        let repository = try InProcessServer.repository()
        let good = InProcessServer.addRequest([1, 2, 3, 4], [1, 2, 3, 4])
        var unknown = good
        unknown.modelName = "nope"
        var datatype = good
        datatype.inputs[0].datatype = "INT32"
        var short = good
        short.rawInputContents[0] = Data(count: 12)
        var both = good
        both.inputs[1].contents.fp32Contents = [1, 2, 3, 4]
        var missing = good
        missing.inputs.removeLast()
        missing.rawInputContents.removeLast()
        var fewValues = good
        fewValues.rawInputContents = []
        fewValues.inputs[0].contents.fp32Contents = [1, 2, 3]
        fewValues.inputs[1].contents.fp32Contents = [1, 2, 3, 4]
        var wrongList = fewValues
        wrongList.inputs[0].contents = Inference_InferTensorContents()
        wrongList.inputs[0].contents.intContents = [1, 2, 3, 4]
        var rawCount = good
        rawCount.rawInputContents.removeLast()
        var unknownOutput = good
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "product"
        unknownOutput.outputs = [output]
        let cases: [(Inference_ModelInferRequest, RPCError.Code, String)] = [
            (unknown, .notFound, "unknown model 'nope'"),
            (datatype, .invalidArgument, "input 'a': datatype INT32 does not match the model: expected FP32"),
            (short, .invalidArgument, "input 'a': raw_input_contents[0] holds 12 bytes but shape [1, 4] of FP32 needs 16"),
            (both, .invalidArgument, "input 'b' has contents while the request has raw_input_contents: expected one or the other"),
            (missing, .invalidArgument, "model 'add' expects input 'b', missing from 'inputs'"),
            (fewValues, .invalidArgument, "input 'a': contents.fp32_contents holds 3 values but shape [1, 4] needs 4"),
            (wrongList, .invalidArgument, "input 'a': FP32 values go in contents.fp32_contents, got contents.int_contents"),
            (rawCount, .invalidArgument, "raw_input_contents has 1 entries but the request has 2 inputs: expected one entry per input"),
            (unknownOutput, .invalidArgument, "requested output 'product' is not an output of model 'add': expected one of 'sum'"),
        ]
        try await InProcessServer.with(repository) { client in
            for (request, code, message) in cases {
                let error = await #expect(throws: RPCError.self) { try await client.modelInfer(request) }
                #expect(error?.code == code)
                #expect(error?.message == message)
            }
            // Still serving.
            let sum = try await client.modelInfer(good)
            #expect(InProcessServer.floats(sum) == [2, 4, 6, 8])
        }
    }

    @Test func aFullQueueIsUnavailable() async throws {
        let repository = try InProcessServer.repository(queueLimit: 0)
        let pool = try #require(repository.models["add"]).pool
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        try await InProcessServer.with(repository) { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.modelInfer(InProcessServer.addRequest([1, 2, 3, 4], [1, 2, 3, 4]))
            }
            #expect(error?.code == .unavailable)
            #expect(error?.message == "model 'add' is busy: 0 requests waiting (queue limit 0)")
            release.signal()
            _ = try await holder.value
            _ = try await client.modelInfer(InProcessServer.addRequest([1, 2, 3, 4], [1, 2, 3, 4]))
        }
        // Counted under protocol="grpc": one busy, one success.
        let text = String(decoding: repository.metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"ledge_inference_request_failure_total{model="add",version="1",protocol="grpc",reason="busy"} 1"#))
        #expect(text.contains(#"ledge_inference_request_success_total{model="add",version="1",protocol="grpc"} 1"#))
        #expect(text.contains(#"ledge_inference_request_success_total{model="add",version="1",protocol="http"} 0"#))
    }

    /// Triton's schedule-policy `timeout` parameter: a request still waiting when it passes is UNAVAILABLE.
    @Test func aRequestTimeoutIsUnavailableWhileTheInstanceIsBusy() async throws {
        let repository = try InProcessServer.repository(queueLimit: 4)
        let pool = try #require(repository.models["add"]).pool
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        try await InProcessServer.with(repository) { client in
            var request = InProcessServer.addRequest([1, 2, 3, 4], [1, 2, 3, 4])
            request.parameters["timeout"] = .with { $0.int64Param = 20_000 }
            let error = await #expect(throws: RPCError.self) { try await client.modelInfer(request) }
            #expect(error?.code == .unavailable)
            #expect(error?.message == "model 'add' is busy: no instance was free within the request's timeout (20000 µs)")
            var wrong = request
            wrong.parameters["timeout"] = .with { $0.stringParam = "20ms" }
            let refusal = await #expect(throws: RPCError.self) { try await client.modelInfer(wrong) }
            #expect(refusal?.code == .invalidArgument)
            #expect(refusal?.message == "the request: parameters.timeout is not an integer: expected int64_param")
            wrong.parameters["timeout"] = nil
            wrong.parameters["priority"] = .with { $0.stringParam = "high" }
            let priority = await #expect(throws: RPCError.self) { try await client.modelInfer(wrong) }
            #expect(priority?.code == .invalidArgument)
            #expect(priority?.message == "the request: parameters.priority is not an integer: expected int64_param")
            release.signal()
            _ = try await holder.value
            request.parameters["timeout"] = .with { $0.uint64Param = 60_000_000 }
            _ = try await client.modelInfer(request)
        }
    }

    /// Twenty requests on one stream, the seventh bad: twenty answers in order, the bad one
    /// with its error and the stream going on.
    @Test func theStreamAnswersInOrderWithErrorsPerRequest() async throws {
        let repository = try InProcessServer.repository()
        let answers = try await InProcessServer.with(repository) { client in
            try await client.modelStreamInfer { writer in
                for n in 0..<20 {
                    var request = InProcessServer.addRequest([Float(n), 0, 0, 0], [1, 1, 1, 1], id: "r\(n)")
                    if n == 6 { request.inputs[0].datatype = "FP64" }
                    try await writer.write(request)
                }
            } onResponse: { response in
                var answers: [Inference_ModelStreamInferResponse] = []
                for try await message in response.messages { answers.append(message) }
                return answers
            }
        }
        #expect(answers.count == 20)
        #expect(answers.map(\.inferResponse.id) == (0..<20).map { "r\($0)" })
        for (n, answer) in answers.enumerated() {
            if n == 6 {
                #expect(answer.errorMessage == "input 'a': datatype FP64 does not match the model: expected FP32")
            } else {
                #expect(answer.errorMessage == "")
                #expect(InProcessServer.floats(answer.inferResponse) == [Float(n) + 1, 1, 1, 1])
            }
        }
    }

    @Test func aTokenIsNeededExceptForHealth() async throws {
        let repository = try InProcessServer.repository()
        let token = "0123456789abcdef-token"
        try await InProcessServer.with(repository, access: AccessPolicy(token: token)) { client in
            #expect(try await client.serverLive(Inference_ServerLiveRequest()).live)
            let missing = await #expect(throws: RPCError.self) { try await client.serverMetadata(Inference_ServerMetadataRequest()) }
            #expect(missing?.code == .unauthenticated)
            #expect(missing?.message == "missing 'Authorization: Bearer TOKEN' header")
            let wrong = await #expect(throws: RPCError.self) {
                try await client.modelInfer(InProcessServer.addRequest([1], [1]), metadata: ["authorization": "Bearer wrong-token-0123456789"])
            }
            #expect(wrong?.code == .unauthenticated)
            #expect(wrong?.message == "invalid bearer token")
            let sum = try await client.modelInfer(
                InProcessServer.addRequest([1, 2, 3, 4], [1, 1, 1, 1]), metadata: ["authorization": "Bearer \(token)"])
            #expect(InProcessServer.floats(sum) == [2, 3, 4, 5])
            let stream = await #expect(throws: RPCError.self) {
                try await client.modelStreamInfer { _ in
                } onResponse: { response in
                    for try await _ in response.messages {}
                }
            }
            #expect(stream?.code == .unauthenticated)
        }
    }

    /// A token limited to scopes reaches those RPCs and gets PERMISSION_DENIED, with the HTTP text, on the others.
    @Test func aLimitedTokenReachesOnlyItsScopes() async throws {
        let repository = try InProcessServer.repository()
        let (inference, metadata) = ("inference-token-0123456789", "metadata-token-0123456789")
        let policy = AccessPolicy(
            grants: [.init(inference, scopes: [.inference]), .init(metadata, scopes: [.metadata, .health])], healthOpen: false)
        try await InProcessServer.with(repository, access: policy) { client in
            let asInference: Metadata = ["authorization": "Bearer \(inference)"]
            let asMetadata: Metadata = ["authorization": "Bearer \(metadata)"]
            let sum = try await client.modelInfer(InProcessServer.addRequest([1, 2, 3, 4], [1, 1, 1, 1]), metadata: asInference)
            #expect(InProcessServer.floats(sum) == [2, 3, 4, 5])
            #expect(try await client.serverMetadata(Inference_ServerMetadataRequest(), metadata: asMetadata).name == "ledge")
            var ready = Inference_ModelReadyRequest()
            ready.name = "add"
            #expect(try await client.modelReady(ready, metadata: asMetadata).ready)
            for (denied, scope, limited) in [
                (
                    await #expect(throws: RPCError.self) {
                        try await client.serverMetadata(Inference_ServerMetadataRequest(), metadata: asInference)
                    }, "metadata", "inference"
                ),
                (
                    await #expect(throws: RPCError.self) { try await client.serverLive(Inference_ServerLiveRequest(), metadata: asInference) },
                    "health", "inference"
                ),
                (
                    await #expect(throws: RPCError.self) {
                        try await client.repositoryIndex(Inference_RepositoryIndexRequest(), metadata: asInference)
                    }, "model-repository", "inference"
                ),
                (
                    await #expect(throws: RPCError.self) {
                        try await client.modelInfer(InProcessServer.addRequest([1], [1]), metadata: asMetadata)
                    }, "inference", "health, metadata"
                ),
                (
                    await #expect(throws: RPCError.self) {
                        try await client.modelStreamInfer(metadata: asMetadata) { _ in
                        } onResponse: { response in
                            for try await _ in response.messages {}
                        }
                    }, "inference", "health, metadata"
                ),
            ] {
                #expect(denied?.code == .permissionDenied, "\(scope)")
                #expect(denied?.message == "the bearer token may not use the \(scope) API: it is limited to \(limited)")
            }
        }
    }

    /// A token limited to models: calls naming one of them pass, others and calls that reach every
    /// model get PERMISSION_DENIED; a stream answers a message naming another model with the error.
    @Test func aTokenLimitedToModels() async throws {
        let repository = try InProcessServer.repository()
        let (addOnly, other) = ("add-only-token-0123456789", "other-model-token-0123456789")
        let policy = AccessPolicy(grants: [.init(addOnly, models: ["add"]), .init(other, models: ["other"])], healthOpen: false)
        try await InProcessServer.with(repository, access: policy) { client in
            let asAdd: Metadata = ["authorization": "Bearer \(addOnly)"]
            let asOther: Metadata = ["authorization": "Bearer \(other)"]
            let sum = try await client.modelInfer(InProcessServer.addRequest([1, 2, 3, 4], [1, 1, 1, 1]), metadata: asAdd)
            #expect(InProcessServer.floats(sum) == [2, 3, 4, 5])
            #expect(try await client.serverMetadata(Inference_ServerMetadataRequest(), metadata: asOther).name == "ledge")
            var statistics = Inference_ModelStatisticsRequest()
            statistics.name = "add"
            #expect(try await client.modelStatistics(statistics, metadata: asAdd).modelStats.count == 1)
            var traceAdd = Inference_TraceSettingRequest()
            traceAdd.modelName = "add"
            #expect(try await client.traceSetting(traceAdd, metadata: asAdd).settings["trace_level"]?.value == ["OFF"])
            let wrongModel = "the bearer token may not use model 'add': it is limited to models other"
            let everyModel = "the bearer token is limited to models add: this route reaches every model"
            for (denied, message) in [
                (
                    await #expect(throws: RPCError.self) {
                        try await client.modelInfer(InProcessServer.addRequest([1], [1]), metadata: asOther)
                    }, wrongModel
                ),
                (await #expect(throws: RPCError.self) { try await client.modelStatistics(statistics, metadata: asOther) }, wrongModel),
                (
                    await #expect(throws: RPCError.self) {
                        try await client.repositoryIndex(Inference_RepositoryIndexRequest(), metadata: asAdd)
                    }, everyModel
                ),
                (
                    await #expect(throws: RPCError.self) {
                        try await client.modelStatistics(Inference_ModelStatisticsRequest(), metadata: asAdd)
                    }, everyModel
                ),
                // The global trace settings trace every model; a model's own belong to it.
                (
                    await #expect(throws: RPCError.self) { try await client.traceSetting(Inference_TraceSettingRequest(), metadata: asAdd) },
                    everyModel
                ),
                (await #expect(throws: RPCError.self) { try await client.traceSetting(traceAdd, metadata: asOther) }, wrongModel),
            ] {
                #expect(denied?.code == .permissionDenied && denied?.message == message, "\(denied?.message ?? "")")
            }
            let answers = try await client.modelStreamInfer(metadata: asOther) { writer in
                try await writer.write(InProcessServer.addRequest([1, 2, 3, 4], [1, 1, 1, 1], id: "s1"))
            } onResponse: { response in
                var answers: [Inference_ModelStreamInferResponse] = []
                for try await message in response.messages { answers.append(message) }
                return answers
            }
            #expect(answers.map(\.errorMessage) == [wrongModel] && answers.first?.inferResponse.id == "s1")
        }
    }

    /// Triton's ModelStatistics: the counts HTTP reports, for calls over gRPC.
    @Test func statisticsCountTheCalls() async throws {
        let repository = try InProcessServer.repository()
        try await InProcessServer.with(repository) { client in
            for _ in 0..<2 { _ = try await client.modelInfer(InProcessServer.addRequest([1, 2, 3, 4], [1, 1, 1, 1])) }
            _ = try? await client.modelInfer(InProcessServer.addRequest([1, 2], [1, 1, 1, 1]))
            var request = Inference_ModelStatisticsRequest()
            request.name = "add"
            let stats = try #require(try await client.modelStatistics(request).modelStats.first)
            #expect(stats.name == "add" && stats.version == "1")
            #expect(stats.inferenceCount == 2 && stats.executionCount == 2 && stats.lastInference > 0)
            #expect(stats.inferenceStats.success.count == 2 && stats.inferenceStats.fail.count == 1)
            #expect(stats.inferenceStats.computeInfer.count == 2 && stats.inferenceStats.computeInfer.ns > 0)
            #expect(stats.batchStats.map(\.batchSize) == [1] && stats.batchStats.first?.computeInfer.count == 2)
            #expect(try await client.modelStatistics(Inference_ModelStatisticsRequest()).modelStats.map(\.name) == ["add"])
            request.name = "nope"
            let unknown = await #expect(throws: RPCError.self) { try await client.modelStatistics(request) }
            #expect(unknown?.code == .notFound && unknown?.message == "unknown model 'nope'")
        }
    }

    /// ServerReady is false from graceful shutdown on; ServerLive stays true.
    @Test func notReadyWhileDraining() async throws {
        let repository = try InProcessServer.repository()
        try await InProcessServer.with(repository) { client in
            let before = try await client.serverReady(Inference_ServerReadyRequest()).ready
            repository.beginDraining()
            let after = try await client.serverReady(Inference_ServerReadyRequest()).ready
            let live = try await client.serverLive(Inference_ServerLiveRequest()).live
            #expect(before && !after && live)
        }
    }

    @Test func metadataConfigAndRepository() async throws {
        let repository = try InProcessServer.repository()
        try await InProcessServer.with(repository) { client in
            let server = try await client.serverMetadata(Inference_ServerMetadataRequest())
            #expect(server.name == "ledge")
            #expect(
                server.extensions == [
                    "binary_tensor_data", "classification", "model_repository", "schedule_policy", "statistics", "trace", "logging",
                ])
            var named = Inference_ModelMetadataRequest()
            named.name = "add"
            let metadata = try await client.modelMetadata(named)
            #expect(metadata.versions == ["1"])
            #expect(metadata.platform == "onnxruntime_onnx")
            #expect(metadata.inputs.map(\.name) == ["a", "b"])
            #expect(metadata.inputs.map(\.datatype) == ["FP32", "FP32"])
            var config = Inference_ModelConfigRequest()
            config.name = "add"
            let answer = try await client.modelConfig(config).config
            #expect(answer.name == "add")
            #expect(answer.input.map(\.dataType) == [.typeFp32, .typeFp32])
            #expect(answer.versionPolicy.latest.numVersions == 1)
            var ready = Inference_ModelReadyRequest()
            ready.name = "add"
            #expect(try await client.modelReady(ready).ready)
            ready.name = "nope"
            #expect(try await client.modelReady(ready).ready == false)
            let index = try await client.repositoryIndex(Inference_RepositoryIndexRequest())
            #expect(index.models.map { "\($0.name) \($0.version) \($0.state)" } == ["add 1 READY"])
            var load = Inference_RepositoryModelLoadRequest()
            load.modelName = "add"
            let refused = await #expect(throws: RPCError.self) { try await client.repositoryModelLoad(load) }
            #expect(refused?.code == .failedPrecondition)
            #expect(refused?.message == "cannot load models: the model control mode is none: expected --model-control-mode explicit")
            // Files come as bytes_param (as tritonclient sends them); another kind is refused by name.
            load.parameters["config"] = .with { $0.stringParam = "{}" }
            load.parameters["file:1/model.onnx"] = .with { $0.stringParam = "AAAA" }
            let text = await #expect(throws: RPCError.self) { try await client.repositoryModelLoad(load) }
            #expect(text?.code == .invalidArgument)
            #expect(text?.message == "load parameter 'file:1/model.onnx' is not bytes: expected the file's bytes in bytes_param")
            load.parameters["file:1/model.onnx"] = .with { $0.bytesParam = Data([1, 2]) }
            load.parameters["x"] = .with { $0.boolParam = true }
            let other = await #expect(throws: RPCError.self) { try await client.repositoryModelLoad(load) }
            #expect(other?.message == "load parameter 'x' is not supported: expected 'config' and 'file:<path>'")
        }
    }
}
