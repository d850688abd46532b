import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgeCore
import LedgeEngine
@testable import LedgeServer
import LedgeTesting
@testable import LedgeServing
import Testing

/// A model that claims a batch dimension but answers every run with one row
/// (the sum of its input's rows): a batch of it cannot be split back.
final class RowSumSession: InferenceSession {
    let info = ModelInfo(
        path: "rowsum", format: .onnx, runtimeVersion: "test", sizeBytes: 0,
        inputs: [TensorSpec(name: "x", dtype: .float32, shape: [-1, 2])],
        outputs: [TensorSpec(name: "y", dtype: .float32, shape: [-1, 2])])

    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        let values = inputs[0].values(as: Float.self)
        let sums = [0, 1].map { column in stride(from: column, to: values.count, by: 2).map { values[$0] }.reduce(0, +) }
        return [Tensor(dtype: .float32, shape: [1, 2], values: sums)]
    }
}

/// Dynamic batching as `ledge serve` sets it up: which models get a batcher,
/// what /metrics shows, what happens when outputs do not split.
@Suite(.ownThread) struct BatchingServeTests {
    @Test func batchedInferRequestsShowInTheMetrics() async throws {
        let folder = try TestServer.repositoryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let policy = BatchingPolicy(maxBatchSize: 4, maxQueueDelay: DynamicBatcherTests.hour)
        let repository = try ModelRepository.load(
            .repository(path: folder), options: RepositoryOptions(batching: policy), logger: TestServer.logger)
        #expect(repository.models["gen"]?.batcher?.policy == policy)
        #expect(repository.models["add"]?.batcher != nil)
        #expect(repository.models["efficientnet"]?.batcher == nil)
        let app = buildApplication(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0), repository: repository, logger: TestServer.logger)
        let batcher = try #require(repository.models["add"]?.batcher)
        try await app.test(.router) { client in
            @Sendable func infer(_ k: Int) async throws {
                let body = try V2JSON.body([
                    "inputs": [V2JSON.input("a", "FP32", [1, 4], [k, k, k, k]), V2JSON.input("b", "FP32", [1, 4], [1, 2, 3, 4])]
                ])
                try await client.execute(uri: "/v2/models/add/infer", method: .post, headers: jsonHeaders, body: body) { response in
                    #expect(response.status == .ok)
                    let sum = try response.json(InferResponse.self).outputs[0].data
                    #expect(sum == [1, 2, 3, 4].map { Double(k + $0) })
                }
            }
            // One request waits for company: the pending gauge counts it.
            let first = Task { try await infer(0) }
            while batcher.waiting < 1 { await Task.yield() }
            #expect(try await MetricsTests().metrics(client)["ledge_inference_pending_request_count", "add"] == "1.0")
            _ = try await DynamicBatcherTests.concurrently(7) { try await infer($0 + 1) }
            try await first.value
            let metrics = try await MetricsTests().metrics(client)
            #expect(metrics.malformed.isEmpty)
            #expect(metrics["ledge_inference_request_success_total", "add", extra: HTTPLabel.http] == "8")
            #expect(metrics["ledge_inference_count_total", "add"] == "8")
            #expect(metrics["ledge_inference_exec_count_total", "add"] == "2")
            #expect(metrics["ledge_inference_batch_size_count", "add"] == "2")
            #expect(metrics["ledge_inference_batch_size_sum", "add"] == "8.0")
            #expect(metrics["ledge_inference_batch_size_bucket", "add", extra: ",le=\"2.0\""] == "0")
            #expect(metrics["ledge_inference_batch_size_bucket", "add", extra: ",le=\"4.0\""] == "2")
            #expect(metrics.comments.contains("# TYPE ledge_inference_batch_size histogram"))
            #expect(metrics["ledge_inference_pending_request_count", "add"] == "0.0")
        }
    }

    @Test func modelsWithoutABatchDimensionAreNotBatched() throws {
        let efficientnet = try ModelLoader.open(path: Fixtures.model("efficientnet_lite0.tflite"), logger: TestServer.logger)
        #expect(
            BatchingPolicy.unbatchableReason(efficientnet.info)
                == "input 'images' has shape [1, 224, 224, 3], with a fixed first dimension (no batch dimension)")
        for model in ["mobilenet_gen.onnx", "add.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"] {
            #expect(BatchingPolicy.unbatchableReason(try ModelLoader.open(path: Fixtures.model(model), logger: TestServer.logger).info) == nil)
        }
        var info = RowSumSession().info
        info.outputs = [TensorSpec(name: "y", dtype: .float32, shape: [1, 2])]
        #expect(BatchingPolicy.unbatchableReason(info) == "output 'y' has shape [1, 2], with a fixed first dimension (no batch dimension)")
        info.outputs = [TensorSpec(name: "loss", dtype: .float32, shape: [])]
        #expect(BatchingPolicy.unbatchableReason(info) == "output 'loss' is a scalar")
    }

    @Test func outputsThatDoNotSplitTurnBatchingOffAndRequestsRunAlone() async throws {
        let batcher = DynamicBatcherTests().batcher(
            RowSumSession(), policy: BatchingPolicy(maxBatchSize: 2, maxQueueDelay: DynamicBatcherTests.hour))
        let rows: [[Float]] = [[1, 2], [30, 40], [500, 600]]
        let results = try await DynamicBatcherTests.concurrently(2) { k in
            try await batcher.infer([Tensor(dtype: .float32, shape: [1, 2], values: rows[k])])
        }
        #expect(results.map { $0.outputs[0].values(as: Float.self) } == [rows[0], rows[1]])
        #expect(results.map(\.batchSize) == [1, 1])
        #expect(results.allSatisfy { $0.countsExecution })
        // Batching is off: a lone request goes at once instead of waiting an hour for company.
        let later = try await batcher.infer([Tensor(dtype: .float32, shape: [1, 2], values: rows[2])])
        #expect(later.outputs[0].values(as: Float.self) == rows[2])
    }

    @Test func policiesAreCheckedWithTheValueAtFault() throws {
        #expect(throws: LedgeError.usage("max batch size must be at least 1, got 0")) {
            try BatchingPolicy(maxBatchSize: 0).validate()
        }
        #expect(throws: LedgeError.usage("preferred batch size 16 must be between 1 and the max batch size 8")) {
            try BatchingPolicy(maxBatchSize: 8, preferredBatchSizes: [4, 16]).validate()
        }
        #expect(throws: LedgeError.usage("max queue delay must be at least 0, got -1.0 seconds")) {
            try BatchingPolicy(maxBatchSize: 8, maxQueueDelay: .seconds(-1)).validate()
        }
        try BatchingPolicy(maxBatchSize: 8, preferredBatchSizes: [4, 8], maxQueueDelay: .microseconds(100)).validate()
        let folder = try TestServer.repositoryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: LedgeError.usage("max batch size must be at least 1, got -2")) {
            try ModelRepository.load(
                .repository(path: folder), options: RepositoryOptions(batching: BatchingPolicy(maxBatchSize: -2)), logger: TestServer.logger)
        }
    }
}
