import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgeTesting
import Testing

/// Triton's perf_analyzer (from the tritonclient 2.41.0 wheel, set up in
/// `$LEDGE_HOME/tools/perf_analyzer`) measures the real `ledge serve` over HTTP and gRPC, unary,
/// streaming, batched and through system shared memory: it runs to the end and reads the server's side from the statistics
/// extension (it stops when those counts disagree).
@Suite(.ownThread) struct PerfAnalyzerTests {
    static let tool = Fixtures.home + "/tools/perf_analyzer/perf_analyzer"

    /// The number after `label` in perf_analyzer's report.
    static func number(after label: String, in report: String) -> Int? {
        guard let range = report.range(of: label) else { return nil }
        return Int(report[range.upperBound...].prefix { $0.isNumber })
    }

    #if arch(x86_64)  // the wheel that ships perf_analyzer is x86_64 only
    @Test func perfAnalyzerMeasuresLedgeServe() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.tool), "\(Self.tool) is missing: run make setup")
        try await withTemporaryDirectory { folder in try await measure(traceFile: folder + "/trace.json") }
    }

    func measure(traceFile: String) async throws {
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "-m", Fixtures.model("efficientnet_lite0.tflite"), "-m", Fixtures.model("mobilenet_gen.onnx"),
            "--no-probe", "--log-level", "warning", "--allow-client-shm", "--trace-config", "triton,file=\(traceFile)",
        ])
        let http = "127.0.0.1:\(server.port)"
        for (label, arguments, batch) in [
            ("HTTP add", ["-m", "add", "-u", http], 1),
            ("HTTP mobilenet_gen, batch 2", ["-m", "mobilenet_gen", "-b", "2", "-u", http], 2),
            ("gRPC efficientnet_lite0", ["-m", "efficientnet_lite0", "-i", "grpc", "-u", server.grpcTarget], 1),
            ("gRPC add, streaming", ["-m", "add", "-i", "grpc", "--streaming", "-u", server.grpcTarget], 1),
            // Inputs and outputs through system shared memory (the shared-memory extension).
            ("HTTP add, system shared memory", ["-m", "add", "-u", http, "--shared-memory", "system"], 1),
            (
                "gRPC efficientnet_lite0, system shared memory",
                ["-m", "efficientnet_lite0", "-i", "grpc", "-u", server.grpcTarget, "--shared-memory", "system"], 1
            ),
            // perf_analyzer sets the server's trace settings (the trace extension) before it measures: last, as they stay.
            ("HTTP add, traced", ["-m", "add", "-u", http, "--trace-level", "TIMESTAMPS", "--trace-rate", "10", "--trace-count", "5"], 1),
        ] {
            let result = try await ProcessRunner.runOffExecutor(
                Self.tool,
                arguments + [
                    "--concurrency-range", "2", "--measurement-mode", "count_windows", "--measurement-request-count", "40",
                    "--stability-percentage", "100",
                ], timeLimit: 180)
            #expect(!result.timedOut, "\(label)")
            #expect(result.status == 0, "\(label): \(result.stdout)\n\(result.stderr)")
            let report = result.stdout
            let requests = Self.number(after: "Request count: ", in: report) ?? 0
            let inferences = Self.number(after: "Inference count: ", in: report) ?? 0
            let executions = Self.number(after: "Execution count: ", in: report) ?? 0
            #expect(requests >= 40, "\(label): \(report)")
            #expect(executions > 0 && inferences == batch * executions, "\(label): \(report)")
            #expect(report.contains("Avg request latency: "), "\(label): the server side is missing\n\(report)")
        }
        // perf_analyzer unregisters the regions it registered.
        let status = try await URLSession.shared.data(from: try #require(URL(string: "http://\(http)/v2/systemsharedmemory/status"))).0
        #expect(String(decoding: status, as: UTF8.self) == "[]")
        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
        // Written at shutdown: the 5 traces of add, each received and sent over HTTP.
        let data = try #require(FileManager.default.contents(atPath: traceFile), "no trace file")
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(entries.compactMap { $0["model_name"] as? String } == Array(repeating: "add", count: 5))
        let names = entries.compactMap { $0["timestamps"] as? [[String: Any]] }.map { $0.compactMap { $0["name"] as? String } }
        #expect(names.count == 5 && names.allSatisfy { $0.first == "HTTP_RECV_START" && $0.last == "HTTP_SEND_END" && $0.count == 11 }, "\(names)")
    }
    #endif
}
