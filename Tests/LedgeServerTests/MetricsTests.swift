import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeCore
import LedgeServer
import LedgeServingTesting
import LedgeTesting
import Synchronization
@testable import LedgeServing
import Testing

/// `GET /metrics`, read as `name{labels}` → value.
struct Exposition {
    var text: String
    var values: [String: String] = [:]
    var comments: [String] = []
    /// Lines that are neither comments nor `name{labels} value`.
    var malformed: [String] = []

    init(_ text: String) {
        self.text = text
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("#") { comments.append(line); continue }
            let parts = line.split(separator: " ")
            let series = parts.first.map(String.init) ?? ""
            let name = series.prefix { $0 != "{" }
            let labelsOK = series == name || (series.dropFirst(name.count).hasPrefix("{") && series.hasSuffix("}"))
            guard parts.count == 2, !name.isEmpty, labelsOK,
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }),
                Double(parts[1]) != nil
            else { malformed.append(line); continue }
            values[series] = String(parts[1])
        }
    }

    /// The value of `name` for model `model` (version 1) plus `extra` labels.
    subscript(_ name: String, _ model: String, extra extra: String = "") -> String? {
        values["\(name){model=\"\(model)\",version=\"1\"\(extra)}"]
    }
}

@Suite(.ownThread) struct MetricsTests {
    static let families = [
        ("ledge_inference_request_success_total", "counter"), ("ledge_inference_request_failure_total", "counter"),
        ("ledge_inference_count_total", "counter"), ("ledge_inference_exec_count_total", "counter"),
        ("ledge_inference_queue_duration_seconds", "histogram"), ("ledge_inference_compute_input_duration_seconds", "histogram"),
        ("ledge_inference_compute_infer_duration_seconds", "histogram"), ("ledge_inference_request_duration_seconds", "histogram"),
        ("ledge_model_instances", "gauge"), ("ledge_inference_pending_request_count", "gauge"),
        ("ledge_inference_requests_in_flight", "gauge"), ("ledge_model_file_bytes", "gauge"),
    ]

    func metrics(_ client: any TestClientProtocol) async throws -> Exposition {
        try await client.execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            return Exposition(String(decoding: response.body.readableBytesView, as: UTF8.self))
        }
    }

    /// A binary-data infer request of one tensor named `input`.
    func binaryInfer(_ input: String, _ datatype: String, _ shape: [Int], bytes: Int) throws -> (HTTPFields, ByteBuffer) {
        let header = try JSONSerialization.data(withJSONObject: [
            "inputs": [["name": input, "datatype": datatype, "shape": shape, "parameters": ["binary_data_size": bytes]]]
        ])
        let headers: HTTPFields = [
            .contentType: "application/octet-stream",
            HTTPField.Name("Inference-Header-Content-Length")!: String(header.count),
        ]
        return (headers, ByteBuffer(data: header + Data(repeating: 7, count: bytes)))
    }

    @Test func countsSuccessesFailuresInferencesAndExecutions() async throws {
        let chelsea = ByteBuffer(data: try #require(FileManager.default.contents(atPath: Fixtures.image("chelsea.jpg"))))
        let (headers, body) = try binaryInfer("images", "UINT8", [1, 224, 224, 3], bytes: 224 * 224 * 3)
        let (genHeaders, genBody) = try binaryInfer("input", "FP32", [2, 3, 224, 224], bytes: 2 * 3 * 224 * 224 * 4)
        let wrongType = try V2JSON.body(["inputs": [V2JSON.input("images", "FP32", [1, 224, 224, 3], [])]])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: Fixtures.model("efficientnet_lite0.tflite"))[.size] as? Int)
        try await TestServer.withApp { client in
            let before = try await metrics(client)
            #expect(before["ledge_inference_request_success_total", "efficientnet", extra: HTTPLabel.http] == "0")
            #expect(before["ledge_inference_exec_count_total", "efficientnet"] == "0")
            for _ in 0..<2 {
                try await client.execute(uri: "/v2/models/efficientnet/infer", method: .post, headers: headers, body: body) {
                    #expect($0.status == .ok)
                }
            }
            try await client.execute(uri: "/v2/models/efficientnet/infer", method: .post, headers: jsonHeaders, body: wrongType) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(
                uri: "/v2/models/efficientnet/classify", method: .post,
                headers: [.contentType: "image/jpeg"], body: chelsea
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/models/gen/infer", method: .post, headers: genHeaders, body: genBody) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v2/models/nope/infer", method: .post, headers: jsonHeaders, body: wrongType) {
                #expect($0.status == .notFound)
            }
            let after = try await metrics(client)
            #expect(after.malformed == [])
            for (name, type) in Self.families {
                #expect(after.comments.contains("# TYPE \(name) \(type)"))
                #expect(after.comments.contains { $0.hasPrefix("# HELP \(name) ") })
            }
            // Classify counts as a successful inference request: 2 infers + 1 classify.
            #expect(after["ledge_inference_request_success_total", "efficientnet", extra: HTTPLabel.http] == "3")
            #expect(after["ledge_inference_request_failure_total", "efficientnet", extra: HTTPLabel.http + ",reason=\"client\""] == "1")
            #expect(after["ledge_inference_request_failure_total", "efficientnet", extra: HTTPLabel.http + ",reason=\"busy\""] == "0")
            #expect(after["ledge_inference_request_failure_total", "efficientnet", extra: HTTPLabel.http + ",reason=\"server\""] == "0")
            #expect(after["ledge_inference_count_total", "efficientnet"] == "3")
            #expect(after["ledge_inference_exec_count_total", "efficientnet"] == "3")
            for (histogram, labels) in [("queue_duration", ""), ("compute_infer_duration", ""), ("request_duration", HTTPLabel.http)] {
                #expect(after["ledge_inference_\(histogram)_seconds_count", "efficientnet", extra: labels] == "3")
                #expect(after["ledge_inference_\(histogram)_seconds_bucket", "efficientnet", extra: labels + ",le=\"+Inf\""] == "3")
            }
            // Nothing came over gRPC.
            #expect(after["ledge_inference_request_success_total", "efficientnet", extra: ",protocol=\"grpc\""] == "0")
            #expect(after["ledge_inference_compute_input_duration_seconds_count", "efficientnet"] == "1")
            let buckets = after.text.split(separator: "\n").filter {
                $0.hasPrefix("ledge_inference_queue_duration_seconds_bucket{model=\"efficientnet\"")
            }.map { $0.split(separator: "\"")[5] }
            #expect(
                buckets == [
                    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                    "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf",
                ])
            // The batch of 2 is 2 inferences in 1 execution.
            #expect(after["ledge_inference_request_success_total", "gen", extra: HTTPLabel.http] == "1")
            #expect(after["ledge_inference_count_total", "gen"] == "2")
            #expect(after["ledge_inference_exec_count_total", "gen"] == "1")
            #expect(after["ledge_inference_compute_input_duration_seconds_count", "gen"] == "0")
            #expect(after["ledge_model_instances", "efficientnet"] == "1.0")
            #expect(after["ledge_inference_pending_request_count", "efficientnet"] == "0.0")
            #expect(after["ledge_inference_requests_in_flight", "efficientnet"] == "0.0")
            #expect(after["ledge_model_file_bytes", "efficientnet"] == "\(Double(size))")
            #expect(!after.text.contains("nope"))
        }
    }

    @Test func aFullQueueCountsAsBusy() async throws {
        let repository = try TestServer.repository(instances: 1, queueLimit: 0)
        let app = buildApplication(configuration: ServerConfiguration(port: 0), repository: repository, logger: TestServer.logger)
        let pool = try #require(repository.models["add"]).pool
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post, headers: jsonHeaders,
                body: ByteBuffer(string: BadRequestTests.goodAdd)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorMessage == "model 'add' is busy: 0 requests waiting (queue limit 0)")
            }
            release.signal()
            _ = try await holder.value
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post, headers: jsonHeaders,
                body: ByteBuffer(string: BadRequestTests.goodAdd)
            ) { #expect($0.status == .ok) }
            let exposition = try await metrics(client)
            #expect(exposition["ledge_inference_request_failure_total", "add", extra: HTTPLabel.http + ",reason=\"busy\""] == "1")
            #expect(exposition["ledge_inference_request_failure_total", "add", extra: HTTPLabel.http + ",reason=\"client\""] == "0")
            #expect(exposition["ledge_inference_request_success_total", "add", extra: HTTPLabel.http] == "1")
            #expect(exposition["ledge_inference_exec_count_total", "add"] == "1")
            #expect(exposition["ledge_inference_queue_duration_seconds_count", "add"] == "1")
        }
    }
}

/// The `protocol` label of request outcomes over HTTP, as the subscript's `extra`.
enum HTTPLabel {
    static let http = ",protocol=\"http\""
}
