import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import LedgeCLI
import LedgeServer
import LedgeTesting
@testable import LedgeServing
import Testing

/// `ledge serve --max-batch-size N --max-queue-delay-us U --preferred-batch-size K…`.
@Suite(.ownThread) struct BatchingCLITests {
    func serve(_ arguments: [String]) throws -> ServeCommand {
        try #require(try Ledge.parseAsRoot(["serve", "-m", "m.onnx"] + arguments) as? ServeCommand)
    }

    @Test func flagsMakeThePolicy() throws {
        let command = try serve([
            "--max-batch-size", "8", "--max-queue-delay-us", "500", "--preferred-batch-size", "8", "--preferred-batch-size", "4",
        ])
        #expect(command.batching.policy == BatchingPolicy(maxBatchSize: 8, preferredBatchSizes: [4, 8], maxQueueDelay: .microseconds(500)))
        #expect(try serve(["--max-batch-size", "16"]).batching.policy == BatchingPolicy(maxBatchSize: 16))
        #expect(try serve([]).batching.policy == nil)
    }

    @Test(arguments: [
        (["--preferred-batch-size", "4"], "--max-queue-delay-us and --preferred-batch-size need --max-batch-size"),
        (["--max-queue-delay-us", "100"], "--max-queue-delay-us and --preferred-batch-size need --max-batch-size"),
        (["--max-batch-size", "0"], "--max-batch-size must be between 1 and 4096, got 0"),
        (["--max-batch-size", "8", "--max-queue-delay-us=-1"], "--max-queue-delay-us must be between 0 and 60000000, got -1"),
        (
            ["--max-batch-size", "8", "--preferred-batch-size", "16"],
            "--preferred-batch-size must be between 1 and --max-batch-size (8), got 16"
        ),
    ])
    func badValuesNameTheFlag(arguments: [String], message: String) {
        do {
            _ = try serve(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(Ledge.message(for: error) == message)
            #expect(Ledge.exitCode(for: error) == .validationFailure)
        }
    }

    /// The live server: four concurrent requests to add.onnx run as one batch of four
    /// (the delay is long: only the max batch size can close it); efficientnet is not batched and says why.
    @Test func aLiveServerBatchesAndSaysWhichModelsItDoesNot() async throws {
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "-m", Fixtures.model("efficientnet_lite0.tflite"), "--instances", "1",
            "--max-batch-size", "4", "--max-queue-delay-us", "60000000", "--no-probe",
        ])
        let base = server.base
        let sums = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            for k in 0..<4 {
                group.addTask {
                    var request = URLRequest(url: try #require(URL(string: base + "/models/add/infer")))
                    request.httpMethod = "POST"
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    let body =
                        #"{"inputs":[{"name":"a","shape":[1,4],"datatype":"FP32","data":[\#(k),\#(k),\#(k),\#(k)]},"#
                        + #"{"name":"b","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#
                    let (data, _) = try await URLSession.shared.upload(for: request, from: Data(body.utf8))
                    let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                    let outputs = json?["outputs"] as? [[String: Any]]
                    return (k, outputs?.first?["data"] as? [Double] ?? [])
                }
            }
            return try await group.reduce(into: [Int: [Double]]()) { $0[$1.0] = $1.1 }
        }
        #expect(sums == [0: [1, 2, 3, 4], 1: [2, 3, 4, 5], 2: [3, 4, 5, 6], 3: [4, 5, 6, 7]])
        let (metrics, _) = try await URLSession.shared.data(from: try #require(URL(string: base.replacingOccurrences(of: "/v2", with: "/metrics"))))
        let text = String(decoding: metrics, as: UTF8.self)
        #expect(text.contains(#"ledge_inference_exec_count_total{model="add",version="1"} 1"#))
        #expect(text.contains(#"ledge_inference_count_total{model="add",version="1"} 4"#))
        try await server.terminate()
        let log = server.stderr
        #expect(log.contains("model 'add': dynamic batching, at most 4 items, queue delay 60000000 µs"))
        #expect(
            log.contains(
                "model 'efficientnet_lite0' is not batched: input 'images' has shape [1, 224, 224, 3], with a fixed first dimension (no batch dimension)"
            ))
    }
}
