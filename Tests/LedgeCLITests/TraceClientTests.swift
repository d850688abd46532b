import Foundation
import LedgeTesting
import Testing

/// Triton's trace extension of the real `ledge serve --trace-config`, used by the real Triton
/// clients (`tritonclient[http]` and `tritonclient[grpc]`): scripts/check_trace.py; the trace
/// file written at SIGTERM; and the `--trace-config` refusals.
@Suite struct TraceClientTests {
    @Test func tritonClientsChangeTheTraceSettingsAndTheTracesAreWrittenAtShutdown() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--trace-config", "triton,file=\(file)"])
            for (protocolName, venv, url) in [("http", "venv", "127.0.0.1:\(server.port)"), ("grpc", "venv-grpc", server.grpcTarget)] {
                let result = try await ProcessRunner.runOffExecutor(
                    Fixtures.home + "/\(venv)/bin/python",
                    [Fixtures.packageRoot + "/scripts/check_trace.py", "--protocol", protocolName, "--url", url, "--file", file],
                    timeLimit: 120)
                #expect(!result.timedOut)
                #expect(result.status == 0, "check_trace.py --protocol \(protocolName) failed: \(result.stderr)")
                let lines = result.stdout.split(separator: "\n").map(String.init)
                for line in [
                    "ok: \(protocolName): get_trace_settings: global and add at the start settings (level OFF, rate 1000)",
                    "ok: \(protocolName): update_trace_settings('add'): TIMESTAMPS, rate 1, count 2; trace_file refused: 'trace file location can not be updated through network protocol'",
                    "ok: \(protocolName): 3 infer calls, 2 traced: trace_count of add now 0",
                    "ok: \(protocolName): cleared add's settings: back to the global ones",
                    "all \(protocolName) trace checks passed",
                ] {
                    #expect(lines.contains(line), "missing line: \(line)\n\(result.stdout)")
                }
            }
            #expect(!FileManager.default.fileExists(atPath: file), "written before shutdown")
            try await server.terminate()
            #expect(server.exitedCleanly, "\(server.stderr)")
            let data = try #require(FileManager.default.contents(atPath: file), "no trace file at shutdown")
            let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
            #expect(entries.compactMap { $0["request_id"] as? String } == ["http-1", "http-2", "grpc-1", "grpc-2"])
            let frontends = entries.compactMap { $0["timestamps"] as? [[String: Any]] }.compactMap { $0.first?["name"] as? String }
            #expect(frontends == ["HTTP_RECV_START", "HTTP_RECV_START", "GRPC_WAITREAD_START", "GRPC_WAITREAD_START"])
        }
    }

    @Test(arguments: [
        (["--trace-config", "level=TIMESTAMPS"], "Error: --trace-config level=TIMESTAMPS needs a trace file: add --trace-config triton,file=PATH"),
        (
            ["--trace-config", "triton,file=/no/such/folder/t.json"],
            "Error: --trace-config file /no/such/folder/t.json: directory not found: /no/such/folder"
        ),
        (["--trace-config", "rate=0"], "Error: --trace-config rate is '0': expected an integer of at least 1"),
    ])
    func badTraceConfigStopsTheServerBeforeItListens(arguments: [String], line: String) throws {
        let result = try ProcessRunner.ledge(["serve", "-m", Fixtures.model("add.onnx"), "--no-probe", "--port", "0"] + arguments, timeLimit: 60)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix(line + "\n"), "\(result.stderr)")
    }
}
