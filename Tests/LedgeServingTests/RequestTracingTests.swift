import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// `--trace-config` as Triton spells it, and the bound on traces held until shutdown.
@Suite struct RequestTracingTests {
    @Test func tritonsTraceConfigIsRead() throws {
        let settings = try TraceSettings(config: [
            "triton,file=/tmp/t.json", "triton,log-frequency=50", "rate=100", "level=TIMESTAMPS", "level=TENSORS", "level=TIMESTAMPS",
            "count=100", "mode=triton",
        ])
        #expect(settings.file == "/tmp/t.json" && settings.logFrequency == 50 && settings.rate == 100 && settings.count == 100)
        #expect(settings.levels == [.timestamps, .tensors])
        #expect(try TraceSettings(config: ["file=/tmp/t.json", "level=TENSORS", "level=OFF"]).levels.isEmpty)
        #expect(try TraceSettings(config: []) == TraceSettings())
        #expect(TraceSettings().values["trace_level"] == ["OFF"] && TraceSettings().values["trace_rate"] == ["1000"])
    }

    @Test(arguments: [
        (["level=TIMESTAMPS"], "--trace-config level=TIMESTAMPS needs a trace file: add --trace-config triton,file=PATH"),
        (["rate=0"], "--trace-config rate is '0': expected an integer of at least 1"),
        (["count=many"], "--trace-config count is 'many': expected an integer of at least -1"),
        (["triton,log-frequency=-1"], "--trace-config log-frequency is '-1': expected an integer of at least 0"),
        (["level=LOUD"], "--trace-config level 'LOUD': expected OFF, TIMESTAMPS or TENSORS"),
        (["mode=opentelemetry"], "--trace-config mode=opentelemetry: ledge writes Triton's JSON trace files only: expected mode=triton"),
        (["file="], "--trace-config file= names no file"),
        (
            ["opentelemetry,url=x"],
            "--trace-config 'opentelemetry,url=x': expected SETTING=VALUE (rate, level, count, mode) or triton,SETTING=VALUE (file, log-frequency)"
        ),
        (["verbose=1"], "--trace-config 'verbose=1': unknown setting 'verbose': expected file, log-frequency, rate, level, count or mode"),
    ])
    func badTraceConfigIsNamed(entries: [String], message: String) {
        #expect(throws: LedgeError.self) { try TraceSettings(config: entries) }
        do {
            _ = try TraceSettings(config: entries)
        } catch let error as LedgeError {
            #expect(error.message == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aTraceNobodyFinishedIsWrittenAsItStands() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let tracing = RequestTracing(
                settings: try TraceSettings(config: ["triton,file=\(file)", "rate=1", "level=TIMESTAMPS"]), logger: Logger(label: "test"))
            do {
                let trace = try #require(tracing.start(model: "add", version: "1"))
                trace.stamp("HTTP_RECV_START")
            }
            tracing.flush()
            let text = String(decoding: try #require(FileManager.default.contents(atPath: file)), as: UTF8.self)
            #expect(
                text.hasPrefix(#"[{"id":1,"model_name":"add","model_version":1},{"id":1,"timestamps":[{"name":"HTTP_RECV_START","ns":"#), "\(text)")
        }
    }

    @Test func tracesHeldUntilShutdownStayBounded() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let tracing = RequestTracing(
                settings: try TraceSettings(config: ["triton,file=\(file)", "rate=1", "level=TIMESTAMPS"]),
                logger: Logger(label: "test"), heldBytesLimit: 600)
            for _ in 0..<5 {
                let trace = try #require(tracing.start(model: "add", version: "1", requestID: String(repeating: "x", count: 200)))
                trace.stamp("REQUEST_START")
                trace.stamp("REQUEST_END")
                trace.finish()
                trace.finish()  // once only
            }
            // Each trace is ~380 bytes: the second passes the bound, so traces 1–2 and 3–4 went to FILE.0 and FILE.1.
            func ids(_ path: String) throws -> [Int] {
                let data = try #require(FileManager.default.contents(atPath: path), "\(path) missing")
                let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
                return entries.filter { $0["model_name"] != nil }.compactMap { $0["id"] as? Int }
            }
            tracing.waitForWrites()
            #expect(try ids(file + ".0") == [1, 2])
            #expect(try ids(file + ".1") == [3, 4])
            tracing.flush()
            #expect(try ids(file + ".2") == [5])
            #expect(!FileManager.default.fileExists(atPath: file))
            tracing.flush()  // nothing held: nothing written
            #expect(!FileManager.default.fileExists(atPath: file + ".3"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["trace.json.0", "trace.json.1", "trace.json.2"])
        }
    }
}
