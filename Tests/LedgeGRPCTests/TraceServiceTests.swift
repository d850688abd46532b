import Foundation
import GRPCCore
@testable import LedgeGRPC
import LedgeServing
import LedgeTesting
import SwiftProtobuf
import Testing

/// Triton's trace extension over gRPC (TraceSetting) and the traces of ModelInfer and its stream.
@Suite(.ownThread) struct TraceServiceTests {
    static func settings(_ client: InProcessServer.Client, model: String = "", _ changes: [String: [String]] = [:]) async throws
        -> [String: [String]]
    {
        var request = Inference_TraceSettingRequest()
        request.modelName = model
        request.settings = changes.mapValues { values in .with { $0.value = values } }
        return try await client.traceSetting(request).settings.mapValues(\.value)
    }

    @Test func settingsChangeAndClearAsOverHTTP() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let repository = try InProcessServer.repository(
                trace: try TraceSettings(config: ["triton,file=\(file)", "rate=1", "level=TIMESTAMPS"]))
            try await InProcessServer.with(repository) { client async throws in
                let initial = [
                    "trace_file": [file], "trace_level": ["TIMESTAMPS"], "trace_rate": ["1"], "trace_count": ["-1"], "log_frequency": ["0"],
                    "trace_mode": ["triton"],
                ]
                #expect(try await Self.settings(client) == initial)
                #expect(try await Self.settings(client, model: "add") == initial)
                var model = initial
                model["trace_rate"] = ["12"]
                model["trace_level"] = ["TIMESTAMPS", "TENSORS"]
                #expect(try await Self.settings(client, model: "add", ["trace_rate": ["12"], "trace_level": ["TIMESTAMPS", "TENSORS"]]) == model)
                #expect(try await Self.settings(client) == initial)
                // tritonclient clears a setting by sending it with no values.
                model["trace_rate"] = ["1"]
                #expect(try await Self.settings(client, model: "add", ["trace_rate": []]) == model)

                let cases: [(String, [String: [String]], RPCError.Code, String)] = [
                    ("", ["trace_file": ["x.log"]], .invalidArgument, "trace file location can not be updated through network protocol"),
                    ("add", ["trace_rate": ["0"]], .invalidArgument, "trace_rate is '0': expected an integer of at least 1"),
                    ("nope", [:], .notFound, "unknown model 'nope'"),
                ]
                for (name, changes, code, message) in cases {
                    let error = await #expect(throws: RPCError.self) { try await Self.settings(client, model: name, changes) }
                    #expect(error?.code == code && error?.message == message, "\(changes)")
                }
            }
        }
    }

    @Test func modelInferAndStreamRequestsAreTraced() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let repository = try InProcessServer.repository(
                trace: try TraceSettings(config: ["triton,file=\(file)", "rate=1", "level=TIMESTAMPS", "level=TENSORS"]))
            try await InProcessServer.with(repository) { client in
                _ = try await client.modelInfer(InProcessServer.addRequest([1, 2, 3, 4], [10, 20, 30, 40], id: "unary"))
                try await client.modelStreamInfer { writer in
                    for n in 0..<2 { try await writer.write(InProcessServer.addRequest([Float(n), 0, 0, 0], [1, 1, 1, 1], id: "s\(n)")) }
                } onResponse: { response in
                    for try await _ in response.messages {}
                }
            }
            repository.tracing.flush()
            let data = try #require(FileManager.default.contents(atPath: file))
            let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
            let headers = entries.filter { $0["model_name"] != nil }
            #expect(headers.compactMap { $0["request_id"] as? String } == ["unary", "s0", "s1"])
            let core = ["REQUEST_START", "QUEUE_START", "COMPUTE_START", "COMPUTE_INPUT_END", "COMPUTE_OUTPUT_START", "COMPUTE_END", "REQUEST_END"]
            let expected = ["GRPC_WAITREAD_START", "GRPC_WAITREAD_END"] + core + ["GRPC_SEND_START", "GRPC_SEND_END"]
            for entry in entries {
                guard let stamps = entry["timestamps"] as? [[String: Any]] else { continue }
                #expect(stamps.compactMap { $0["name"] as? String } == expected)
                let ns = stamps.compactMap { $0["ns"] as? UInt64 }
                #expect(ns == ns.sorted(), "out of order: \(stamps)")
            }
            let outputs = entries.filter { $0["activity"] as? String == "TENSOR_BACKEND_OUTPUT" }.compactMap { $0["tensor"] as? [String: String] }
            #expect(outputs.map { $0["data"] ?? "" } == ["11,22,33,44", "1,1,1,1", "2,1,1,1"])
        }
    }
}
