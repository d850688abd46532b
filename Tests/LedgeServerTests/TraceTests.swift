import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
import LedgeServing
import LedgeTesting
import Synchronization
import Testing

/// Triton's trace extension over HTTP (`/v2[/models/NAME]/trace/setting`) and the trace file it
/// writes: the settings as Triton's own trace_endpoint_test checks them, the refusals, and the
/// timestamps and tensors of traced requests.
@Suite(.ownThread) struct TraceTests {
    typealias Settings = [String: SettingValue]

    /// A setting as answered: a string, or a list of strings (`trace_level`).
    enum SettingValue: Decodable, Equatable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
        case one(String)
        case list([String])
        init(stringLiteral value: String) { self = .one(value) }
        init(arrayLiteral elements: String...) { self = .list(elements) }
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .one(text) } else { self = .list(try container.decode([String].self)) }
        }
    }

    /// Triton's trace_endpoint_test starts its server with these (rate 1, TIMESTAMPS, its file).
    static func settings(file: String, level: String = "TIMESTAMPS", _ more: [String] = []) throws -> TraceSettings {
        try TraceSettings(config: ["triton,file=\(file)", "rate=1", "level=\(level)"] + more)
    }

    static func initial(_ file: String) -> Settings {
        [
            "trace_file": .one(file), "trace_level": ["TIMESTAMPS"], "trace_rate": "1", "trace_count": "-1", "log_frequency": "0",
            "trace_mode": "triton",
        ]
    }

    static func get(_ client: any TestClientProtocol, _ path: String) async throws -> Settings {
        try await client.execute(uri: path, method: .get) { response in
            #expect(response.status == .ok, "\(path): \(response.errorMessage ?? "")")
            return try response.json(Settings.self)
        }
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String) async throws -> Settings {
        try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body)) { response in
            #expect(response.status == .ok, "\(path) \(body): \(response.errorMessage ?? "")")
            return try response.json(Settings.self)
        }
    }

    static func refused(_ client: any TestClientProtocol, _ path: String, _ body: String, status: HTTPResponse.Status = .badRequest) async throws
        -> String?
    {
        try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(path) \(body)")
            return response.errorMessage
        }
    }

    @Test func settingsUpdatesAndClearsAsTritonDoes() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/global_unittest.log"
            let repository = try TestServer.repository(trace: try Self.settings(file: file))
            try await TestServer.withApp(repository: repository) { client in
                // test_http_get_settings: the model follows the global settings until it sets its own.
                #expect(try await Self.get(client, "/v2/trace/setting") == Self.initial(file))
                #expect(try await Self.get(client, "/v2/models/add/trace/setting") == Self.initial(file))
                try await client.execute(uri: "/v2/models/does-not-exist/trace/setting", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorMessage == "unknown model 'does-not-exist'")
                }

                // test_http_update_settings: the file stays; a global change reaches the model.
                #expect(
                    try await Self.refused(client, "/v2/models/add/trace/setting", #"{"trace_file": "model.log"}"#)
                        == "trace file location can not be updated through network protocol")
                #expect(try await Self.get(client, "/v2/models/add/trace/setting") == Self.initial(file))
                var both = Self.initial(file)
                both["trace_level"] = ["TIMESTAMPS", "TENSORS"]
                #expect(try await Self.post(client, "/v2/trace/setting", #"{"trace_level": ["TIMESTAMPS", "TENSORS"]}"#) == both)
                #expect(try await Self.get(client, "/v2/models/add/trace/setting") == both)
                #expect(try await Self.post(client, "/v2/trace/setting", #"{"trace_level": null}"#) == Self.initial(file))

                // test_http_clear_settings: a cleared global setting returns to its start value, a model's to the global one.
                _ = try await Self.post(client, "/v2/models/add/trace/setting", #"{"trace_rate": "12", "log_frequency": "34"}"#)
                _ = try await Self.post(client, "/v2/trace/setting", #"{"trace_rate": "56", "trace_count": "78", "trace_level": ["OFF"]}"#)
                var global = Self.initial(file)
                global["trace_level"] = ["OFF"]
                #expect(try await Self.post(client, "/v2/trace/setting", #"{"trace_rate": null, "trace_count": null}"#) == global)
                var model = global
                model["trace_rate"] = "12"
                model["log_frequency"] = "34"
                #expect(try await Self.get(client, "/v2/models/add/trace/setting") == model)
                model["trace_rate"] = "1"
                #expect(try await Self.post(client, "/v2/models/add/trace/setting", #"{"trace_rate": null, "trace_level": null}"#) == model)
                #expect(try await Self.get(client, "/v2/trace/setting") == global)
                #expect(try await Self.get(client, "/v2/models/gen/trace/setting") == global)
                // Numbers may come as JSON integers too.
                #expect(try await Self.post(client, "/v2/models/gen/trace/setting", #"{"trace_count": 5}"#)["trace_count"] == "5")
                // A model's update without settings removes its own: it follows the global ones again.
                #expect(try await Self.post(client, "/v2/models/gen/trace/setting", "{}") == global)
                #expect(try await Self.post(client, "/v2/models/add/trace/setting", "{}") == global)
                _ = try await Self.post(client, "/v2/trace/setting", #"{"trace_rate": "7"}"#)
                #expect(try await Self.get(client, "/v2/models/add/trace/setting")["trace_rate"] == "7")
            }
        }
    }

    @Test func badSettingsAreRefusedAndChangeNothing() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let repository = try TestServer.repository(trace: try Self.settings(file: file))
            try await TestServer.withApp(repository: repository) { client in
                let cases: [(String, String)] = [
                    (#"{"trace_rate": "0", "trace_count": "7"}"#, "trace_rate is '0': expected an integer of at least 1"),
                    (#"{"trace_count": "-2"}"#, "trace_count is '-2': expected an integer of at least -1"),
                    (#"{"log_frequency": "often"}"#, "log_frequency is 'often': expected an integer of at least 0"),
                    (#"{"trace_rate": ["1", "2"]}"#, "trace setting 'trace_rate' takes one value, got 2"),
                    (#"{"trace_level": ["OFF", "TIMESTAMPS"]}"#, #"trace_level: OFF turns tracing off and goes alone, got ["OFF", "TIMESTAMPS"]"#),
                    (#"{"trace_level": ["LOUD"]}"#, "trace_level 'LOUD': expected OFF, TIMESTAMPS or TENSORS"),
                    (#"{"trace_level": []}"#, "trace_level is an empty list: expected OFF, TIMESTAMPS or TENSORS"),
                    (#"{"trace_mode": "opentelemetry"}"#, "trace_mode 'opentelemetry': the mode is set at start: expected triton"),
                    (
                        #"{"verbose": "1"}"#,
                        "unknown trace setting 'verbose': expected trace_file, trace_level, trace_rate, trace_count, log_frequency or trace_mode"
                    ),
                    (#"{"trace_rate": {"n": 1}}"#, "trace setting 'trace_rate' must be a string, a list of strings, an integer or null"),
                    (
                        "[1]",
                        #"the body must be a JSON object of trace settings, e.g. {"trace_level": ["TIMESTAMPS"], "trace_rate": "100"}"#
                    ),
                ]
                for (body, message) in cases {
                    let global = try await Self.refused(client, "/v2/trace/setting", body)
                    let model = try await Self.refused(client, "/v2/models/add/trace/setting", body)
                    #expect(global == message && model == message, "\(body)")
                }
                #expect(try await Self.get(client, "/v2/trace/setting") == Self.initial(file))
                #expect(try await Self.get(client, "/v2/models/add/trace/setting") == Self.initial(file))
            }
        }
        // No file given at start: nowhere to write, so no level may be set.
        try await TestServer.withApp { client in
            let level = try await Self.get(client, "/v2/trace/setting")["trace_level"]
            let refusal = try await Self.refused(client, "/v2/models/add/trace/setting", #"{"trace_level": ["TENSORS"]}"#)
            #expect(level == ["OFF"])
            #expect(refusal == "trace_level TENSORS needs a trace file, set at start: ledge serve --trace-config triton,file=PATH")
        }
    }

    /// The trace file's entries, grouped by trace id: the header, the timestamps in order, the tensors.
    struct Trace {
        var model = "", version = 0, requestID: String?
        var stamps: [(name: String, ns: UInt64)] = []
        var tensors: [String: [String: String]] = [:]
    }

    static func traces(_ path: String) throws -> [Int: Trace] {
        let data = try #require(FileManager.default.contents(atPath: path), "no trace file \(path)")
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var traces: [Int: Trace] = [:]
        for entry in entries {
            let id = try #require(entry["id"] as? Int)
            if let model = entry["model_name"] as? String {
                traces[id, default: Trace()].model = model
                traces[id, default: Trace()].version = try #require(entry["model_version"] as? Int)
                traces[id, default: Trace()].requestID = entry["request_id"] as? String
            }
            for stamp in entry["timestamps"] as? [[String: Any]] ?? [] {
                traces[id, default: Trace()].stamps.append((try #require(stamp["name"] as? String), try #require(stamp["ns"] as? UInt64)))
            }
            if let activity = entry["activity"] as? String, let tensor = entry["tensor"] as? [String: String] {
                traces[id, default: Trace()].tensors["\(activity) \(tensor["name"] ?? "")"] = tensor
            }
        }
        return traces
    }

    static let requestStamps = [
        "REQUEST_START", "QUEUE_START", "COMPUTE_START", "COMPUTE_INPUT_END", "COMPUTE_OUTPUT_START", "COMPUTE_END", "REQUEST_END",
    ]
    static let httpStamps = ["HTTP_RECV_START", "HTTP_RECV_END"] + requestStamps + ["HTTP_SEND_START", "HTTP_SEND_END"]

    @Test func tracedRequestsGetTimestampsAndTensors() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let repository = try TestServer.repository(trace: try Self.settings(file: file, ["level=TENSORS"]))
            let photo = ByteBuffer(data: try #require(FileManager.default.contents(atPath: Fixtures.image("coffee.jpg"))))
            let topIndex = Mutex<Int?>(nil)
            try await TestServer.withApp(repository: repository) { client in
                let add = BadRequestTests.goodAdd.replacingOccurrences(of: #"{"inputs""#, with: #"{"id":"req-1","inputs""#)
                try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: add)) { #expect($0.status == .ok) }
                try await client.execute(
                    uri: "/v2/models/efficientnet/classify?top_k=1", method: .post, headers: [.contentType: "image/jpeg"], body: photo
                ) { response in
                    #expect(response.status == .ok)
                    let index = try response.json(ClassifyTests.Classified.self).top.first?.index
                    topIndex.withLock { $0 = index }
                }
                let wrongShape = BadRequestTests.goodAdd.replacingOccurrences(of: "[1,4]", with: "[1,5]")
                try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: wrongShape)) {
                    #expect($0.status == .badRequest)
                }
            }
            #expect(!FileManager.default.fileExists(atPath: file), "written before shutdown with log_frequency 0")
            repository.tracing.flush()
            let traces = try Self.traces(file)
            #expect(traces.keys.sorted() == [1, 2, 3])

            let infer = try #require(traces[1])
            #expect(infer.model == "add" && infer.version == 1 && infer.requestID == "req-1")
            #expect(infer.stamps.map(\.name) == Self.httpStamps)
            #expect(infer.stamps.map(\.ns) == infer.stamps.map(\.ns).sorted(), "timestamps out of order: \(infer.stamps)")
            #expect(infer.tensors["TENSOR_QUEUE_INPUT a"] == ["name": "a", "data": "1,2,3,4", "shape": "1,4", "dtype": "FP32"])
            #expect(infer.tensors["TENSOR_QUEUE_INPUT b"] == ["name": "b", "data": "1,1,1,1", "shape": "1,4", "dtype": "FP32"])
            #expect(infer.tensors["TENSOR_BACKEND_OUTPUT sum"] == ["name": "sum", "data": "2,3,4,5", "shape": "1,4", "dtype": "FP32"])

            let classify = try #require(traces[2])
            #expect(classify.model == "efficientnet" && classify.requestID == nil)
            #expect(classify.stamps.map(\.name) == Self.httpStamps)
            #expect(classify.stamps.map(\.ns) == classify.stamps.map(\.ns).sorted(), "timestamps out of order: \(classify.stamps)")
            let computeStart = try #require(classify.stamps.first { $0.name == "COMPUTE_START" }).ns
            let computeEnd = try #require(classify.stamps.first { $0.name == "COMPUTE_END" }).ns
            #expect(computeEnd > computeStart, "the session run takes time")
            // The image input as the instance got it (decoded, resized), and the scores top-k read.
            let input = try #require(classify.tensors["TENSOR_QUEUE_INPUT images"], "\(classify.tensors.keys.sorted())")
            #expect(input["shape"] == "1,224,224,3" && input["dtype"] == "UINT8")
            let pixels = (input["data"] ?? "").split(separator: ",").compactMap { UInt8($0) }
            #expect(pixels.count == 224 * 224 * 3 && Set(pixels).count > 200, "a photo's pixels")
            let outputs = classify.tensors.filter { $0.key.hasPrefix("TENSOR_BACKEND_OUTPUT ") }
            #expect(outputs.count == 1)
            let scores = (outputs.first?.value["data"] ?? "").split(separator: ",").compactMap { Double($0) }
            #expect(scores.count == 1000)
            #expect(
                scores.indices.max { scores[$0] < scores[$1] } == (try #require(topIndex.withLock { $0 })),
                "the traced scores give the answer's class")

            // A refused request is traced up to where it stopped.
            let failed = try #require(traces[3])
            #expect(failed.stamps.map(\.name) == ["HTTP_RECV_START", "HTTP_RECV_END", "REQUEST_START"] && failed.tensors.isEmpty)
        }
    }

    /// Seldon's v1 predictions are traced as V2 requests are: the same timestamps, the tensors at level TENSORS.
    @Test func seldonPredictionsAreTraced() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let repository = try TestServer.repository(trace: try Self.settings(file: file, ["level=TENSORS"]))
            try await TestServer.withApp(repository: repository) { client in
                try await client.execute(
                    uri: "/seldon/default/add/api/v1.0/predictions", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: SeldonTests.addMessage)
                ) { #expect($0.status == .ok) }
                try await client.execute(
                    uri: "/seldon/default/add/api/v1.0/predictions", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"jsonData": {"a": {"ndarray": [[1, 2]]}}}"#)
                ) { #expect($0.status == .badRequest) }
            }
            repository.tracing.flush()
            let traces = try Self.traces(file)
            #expect(traces.keys.sorted() == [1, 2])
            let seldon = try #require(traces[1])
            #expect(seldon.model == "add" && seldon.version == 1)
            #expect(seldon.stamps.map(\.name) == Self.httpStamps)
            #expect(seldon.stamps.map(\.ns) == seldon.stamps.map(\.ns).sorted(), "timestamps out of order: \(seldon.stamps)")
            #expect(seldon.tensors["TENSOR_QUEUE_INPUT a"] == ["name": "a", "data": "1,2,3,4", "shape": "1,4", "dtype": "FP32"])
            #expect(seldon.tensors["TENSOR_QUEUE_INPUT b"] == ["name": "b", "data": "0.5,0.5,0.5,0.5", "shape": "1,4", "dtype": "FP32"])
            #expect(seldon.tensors["TENSOR_BACKEND_OUTPUT sum"] == ["name": "sum", "data": "1.5,2.5,3.5,4.5", "shape": "1,4", "dtype": "FP32"])
            // A refused prediction is traced up to where it stopped.
            let refused = try #require(traces[2])
            #expect(refused.stamps.map(\.name) == ["HTTP_RECV_START", "HTTP_RECV_END"] && refused.tensors.isEmpty, "\(refused.stamps)")
        }
    }

    @Test func rateCountAndLogFrequencyDecideWhatIsWrittenWhere() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let repository = try TestServer.repository(
                trace: try TraceSettings(config: ["triton,file=\(file)", "level=TIMESTAMPS", "rate=2", "count=3", "triton,log-frequency=2"]))
            try await TestServer.withApp(repository: repository) { client in
                for index in 1...8 {
                    let body = BadRequestTests.goodAdd.replacingOccurrences(of: #"{"inputs""#, with: #"{"id":"r\#(index)","inputs""#)
                    try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: body)) { #expect($0.status == .ok) }
                }
                // Every second request, three of them: r2 and r4 in FILE.0 at once, r6 held until shutdown.
                #expect(try await Self.get(client, "/v2/trace/setting")["trace_count"] == "0")
                repository.tracing.waitForWrites()
                #expect(try Self.traces(file + ".0").values.map { $0.requestID ?? "" }.sorted() == ["r2", "r4"])
                #expect(!FileManager.default.fileExists(atPath: file + ".1"))

                // A model's own count: the global one stays spent, the model traces again.
                _ = try await Self.post(client, "/v2/models/add/trace/setting", #"{"trace_count": "1", "trace_rate": "1"}"#)
                try await client.execute(uri: "/v2/models/add/infer", method: .post, body: ByteBuffer(string: BadRequestTests.goodAdd)) {
                    #expect($0.status == .ok)
                }
                #expect(try await Self.get(client, "/v2/models/add/trace/setting")["trace_count"] == "0")
                #expect(try await Self.get(client, "/v2/trace/setting")["trace_count"] == "0")
            }
            repository.tracing.waitForWrites()
            #expect(try Self.traces(file + ".1").values.map { $0.requestID ?? "-" }.sorted() == ["-", "r6"])
            repository.tracing.flush()
            #expect(!FileManager.default.fileExists(atPath: file + ".2") && !FileManager.default.fileExists(atPath: file))
        }
    }
}
