import Foundation
import LedgeCore
import LedgeGRPC
import LedgeServer
import LedgeServing
import Testing

@testable import LedgeFuzzing

/// The seeds of the newer targets reach what they were written for: the gRPC ones the
/// response (or the refusal their name says, with the service's exact text), the config ones
/// an accepted config or the parser's exact error. (A seed that stops at the first check
/// would leave the fuzzer to find the rest of the path by itself.)
@Suite("Fuzz seeds")
struct FuzzSeedTests {
    static func seed(_ target: FuzzTarget, _ name: String) throws -> [UInt8] {
        try [UInt8](
            Data(contentsOf: FuzzReplayTests.fuzzFolder.appendingPathComponent("Corpus/\(target.rawValue)/\(name)")))
    }

    /// The seed's outputs as the client reads them, or the error's message.
    static func grpcOutcome(_ name: String) throws -> Result<[String], LedgeError> {
        let bytes = try seed(.grpc, name)
        do {
            guard let decoded = try GRPCDecodingEntryPoints.inferRequest(bytes) else {
                Issue.record("\(name) is not a ModelInferRequest")
                return .success([])
            }
            let prepared = try RequestTarget.model.prepare(decoded.request, sharedMemory: RequestTarget.sharedMemory)
            let response = try RequestTarget.model.response(for: prepared, results: prepared.inputs)
            let outputs = try GRPCDecodingEntryPoints.responseOutputs(try GRPCDecodingEntryPoints.responseBytes(response))
            return .success(outputs.map { "\($0.name) \($0.datatype) \($0.shape) \($0.raw?.count ?? -1)\($0.inSharedMemory ? " shm" : "")" })
        } catch let error as LedgeError {
            return .failure(error)
        }
    }

    @Test func grpcSeedsReachTheResponse() throws {
        let expected: [(String, Result<[String], LedgeError>)] = [
            ("all-raw.bin", .success(["x FP32 [1, 4] 16", "u BYTES [1] 23"])),
            ("classification.bin", .success(["d BYTES [2] 24", "pix BYTES [2, 2, 3] 170"])),
            ("shared-memory.bin", .success(["x FP32 [2, 4] 0 shm", "u UINT32 [2] 8"])),
            ("mask-output.bin", .success(["mask BOOL [3] 3"])),
            // Every typed list read; FP16 has none, so the model's 'h' is missing.
            ("all-typed.bin", .failure(.invalidInput("model 'fuzz' expects input 'h', missing from 'inputs'"))),
            (
                "raw-count-short.bin",
                .failure(.invalidInput("raw_input_contents has 7 entries but the request has 8 inputs: expected one entry per input"))
            ),
            ("typed-fp16.bin", .failure(.invalidInput("input 'h': FP16 has no typed contents: expected its bytes in raw_input_contents"))),
            ("bytes-contents.bin", .failure(.invalidInput("input 'x': datatype BYTES does not match the model: expected FP32"))),
        ]
        for (name, outcome) in expected {
            switch (try Self.grpcOutcome(name), outcome) {
            case (.success(let got), .success(let want)): #expect(got == want, "\(name)")
            case (.failure(let got), .failure(let want)): #expect(got.code == want.code && got.message == want.message, "\(name): \(got)")
            case (let got, _): Issue.record("\(name): \(got)")
            }
        }
        #expect(try FuzzReplayTests.files("Corpus", .grpc).map(\.lastPathComponent).sorted() == expected.map(\.0).sorted())
    }

    @Test func configSeedsReachTheirEnd() throws {
        let refusals = [
            "bad-number.pbtxt": "config.pbtxt:1:1: max_batch_size: expected an integer from 0 to 2147483647, found number 1e3",
            "nested.pbtxt":
                "config.pbtxt:1:1: field 'a' is not supported by ledge: expected one of name, platform, backend, max_batch_size, "
                + "input, output, dynamic_batching, instance_group, version_policy, parameters, model_warmup, default_model_filename",
        ]
        let files = try FuzzReplayTests.files("Corpus", .config)
        #expect(files.count == 10)
        let levels = PriorityLevelsConfig(
            levels: 3, defaultLevel: 2,
            queuePolicies: [1: QueuePolicyConfig(defaultTimeoutMicroseconds: 100, maxQueueSize: 2), 3: QueuePolicyConfig(allowTimeoutOverride: true)])
        for file in files {
            let name = file.lastPathComponent
            let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            if name.hasSuffix(".json") {
                // A load request's config in Triton's JSON form, completed against the target's model.
                let config = try ModelConfigJSON.config(text).completed(for: ConfigTarget.info, format: .onnx, file: ModelConfigJSON.source)
                if name == "priorities.json" {
                    #expect(config.dynamicBatching?.priorities == levels)
                } else {
                    #expect(config.instanceCount == 2 && config.dynamicBatching?.queuePolicy?.defaultTimeoutMicroseconds == 5000)
                    #expect(config.warmups.count == 1 && config.threads == 1)
                }
                continue
            }
            do {
                let config = try ModelConfig.parse(text, file: ConfigTarget.file)
                _ = try config.completed(for: ConfigTarget.info, format: .onnx, file: ConfigTarget.file)
                #expect(refusals[name] == nil, "\(name) was accepted")
                if name == "priorities.pbtxt" { #expect(config.dynamicBatching?.priorities == levels) }
                if name == "policies.pbtxt" {
                    #expect(config.parameters["uri"] == "s3://b/tab\there AA \"q\"joined")
                    #expect(config.instanceCount == 3 && config.versionPolicy == .specific([1, 3]))
                }
            } catch let error as LedgeError {
                #expect(error.message == refusals[name], "\(name)")
            }
        }
    }

    @Test func seldonSeedsReachTheirEnd() throws {
        let expected: [String: String] = [
            "bin-data.json": "image",
            "data-ndarray.json": "float32 [2, 4]",
            "data-tensor.json": "float32 [1, 4]",
            "form": "float32 [1, 4]",
            "json-data.json": "float64 [3], float16 [1, 1, 2], int64 [1, 2], bool [3], uint8 [2, 2, 3], int8 [], uint32 [2], float32 [1, 4]",
            "ragged.json":
                "field 'data.ndarray' is not rectangular: a row at depth 1 is of another length, expected every row to match shape [2, 4]",
            "str-data.json":
                "'strData' payloads are not supported: expected 'data' (ndarray or tensor), 'binData' (an image) or 'jsonData'",
            // KServe v1 bodies (byte 0 is 0x02), for SeldonTarget.rowModel: each instance's tensors.
            "v1-columns.json": "float32 [2, 4], bool [2, 1, 2], int64 [3]",
            "v1-instances.json": "float32 [1, 4], bool [1, 1, 2], int64 [1] | float32 [1, 4], bool [1, 1, 2], int64 [1]",
            "v1-b64.json": "field 'instances[0].x': model 'rows' has no image input to take a file: send nested numbers",
        ]
        let files = try FuzzReplayTests.files("Corpus", .seldon)
        #expect(files.map(\.lastPathComponent) == expected.keys.sorted())
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            let form = bytes.first == 1
            let outcome: String
            if bytes.first == 2 {
                do {
                    let echoed = try DecodingEntryPoints.v1Echo(Array(bytes.dropFirst()), model: SeldonTarget.rowModel)
                    outcome = echoed.tensors.map { $0.map { "\($0.dtype) \($0.shape)" }.joined(separator: ", ") }.joined(separator: " | ")
                } catch let error as LedgeError {
                    outcome = error.message
                }
                #expect(outcome == expected[file.lastPathComponent], "\(file.lastPathComponent)")
                continue
            }
            do {
                let echoed = try DecodingEntryPoints.seldonEcho(
                    form ? Array(bytes.dropFirst()) : bytes, form: form, inputs: RequestTarget.model.info.inputs, model: "fuzz")
                outcome = echoed.map { $0.tensors.map { "\($0.dtype) \($0.shape)" }.joined(separator: ", ") } ?? "image"
            } catch let error as LedgeError {
                outcome = error.message
            }
            #expect(outcome == expected[file.lastPathComponent], "\(file.lastPathComponent)")
        }
    }
}
