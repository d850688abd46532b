import Foundation
import LedgeTesting
import Testing

/// Triton's trace extension of the real `ledge serve --trace-config`, used by the real Triton
/// clients (`tritonclient[http]` and `tritonclient[grpc]`): scripts/check_trace.py; the trace
/// file written at SIGTERM; and the `--trace-config` refusals.
@Suite(.ownThread) struct TraceClientTests {
    @Test func tritonClientsChangeTheTraceSettingsAndTheTracesAreWrittenAtShutdown() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder + "/trace.json"
            let server = try await ServeProcess.start(["-m", Fixtures.model("add.onnx"), "--no-probe", "--trace-config", "triton,file=\(file)"])
            for (protocolName, venv, url) in [("http", "venv", "127.0.0.1:\(server.port)"), ("grpc", "venv-grpc", server.grpcTarget)] {
                let result = try await ProcessRunner.check(
                    "check_trace.py", venv: venv, ["--protocol", protocolName, "--url", url, "--file", file], timeLimit: 120)
                Self.expect(
                    result, "check_trace.py --protocol \(protocolName)",
                    printed: [
                        "ok: \(protocolName): get_trace_settings: global and add at the start settings (level OFF, rate 1000)",
                        "ok: \(protocolName): update_trace_settings('add'): TIMESTAMPS, rate 1, count 2; trace_file refused: 'trace file location can not be updated through network protocol'",
                        "ok: \(protocolName): 3 infer calls, 2 traced: trace_count of add now 0",
                        "ok: \(protocolName): cleared add's settings: back to the global ones",
                        "all \(protocolName) trace checks passed",
                    ])
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

    /// `--trace-config mode=opentelemetry`: the real server's spans, decoded by an OTLP/HTTP receiver
    /// built on the opentelemetry-proto package, from HTTP and tritonclient[grpc] calls, and over
    /// mutual TLS configured by the SDK's OTEL_EXPORTER_OTLP_* variables (scripts/check_opentelemetry.py).
    @Test func openTelemetrySpansReachACollector() async throws {
        let certificates = try TestCertificates()
        let result = try await ProcessRunner.check(
            "check_opentelemetry.py", venv: "venv-grpc",
            ["--ledge", Fixtures.ledgeExecutable, "--model", Fixtures.model("add.onnx"), "--tls-folder", certificates.folder],
            timeLimit: 180)
        Self.expect(
            result, "check_opentelemetry.py",
            printed: [
                "ok: 7 calls, 2 exports of 6 spans while serving (/metrics: 12 exported), 1 of 3 at shutdown: [6, 6, 3]",
                "ok: resource attributes: service.name=ledge-check, deployment.environment=ci (over OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES)",
                "ok: traced: every request with a valid traceparent, and every 2nd without (an invalid one counts as none): http-1, http-3, grpc-1, http-5, http-6",
                "ok: spans: InferRequest (server) > add > compute, Triton's events on each, in Unix time within each call; traceparent's trace and span ids over HTTP and gRPC",
                "ok: collector stalls: 2 requests answered, the export given up after OTEL_EXPORTER_OTLP_TIMEOUT, one warning, exit 0 at SIGTERM",
                "ok: collector busy: 503 then 429 with Retry-After: 0, sent a third time and delivered without a warning; 503 four times: dropped after 3 retries, one warning; a 400 dropped at once: one post, one warning",
                "ok: gRPC collector busy: UNAVAILABLE then sent again and delivered without a warning; UNAVAILABLE four times: dropped after 3 retries, one warning; INVALID_ARGUMENT dropped at once: one call, one warning; RESOURCE_EXHAUSTED dropped at once without RetryInfo, tried again with it (then UNAVAILABLE with a 0 s RetryInfo) and delivered",
                "ok: over TLS: 2 exports of 3 spans to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, verified by the CA, with the client certificate (CN=ledge-test-client), gzip, authorization and x-tenant as set, resource site=lab 1, service.name=camera-7",
                "ok: TLS refused: trace: cannot export 3 spans to https://…: the server's certificate does not verify against the trust roots; spans are dropped until it answers",
                "ok: TLS refused: trace: cannot export 3 spans to https://…: the server asks for a client certificate (mutual TLS) and none was given; spans are dropped until it answers",
                "ok: gRPC over mutual TLS: 3 spans delivered with the client certificate (CN=ledge-test-client); without the CA: one warning, the server's certificate does not verify against the trust roots",
                "all OpenTelemetry checks passed",
            ])
        #expect(
            result.lines.contains {
                $0.hasPrefix(
                    "ok: collector down: 4 requests answered, /metrics: 12 spans dropped (export_failed), one warning: warning: trace: cannot export 3 spans to http://127.0.0.1:"
                )
                    && $0.hasSuffix("/v1/traces: connection refused; spans are dropped until it answers")
            })
        #expect(
            result.lines.contains {
                $0.hasPrefix("ok: over gRPC: 2 exports of 3 spans to http://127.0.0.1:")
                    && $0.hasSuffix(" (TraceService/Export), authorization and x-tenant as metadata, gzip, one connection")
            })
        #expect(
            result.lines.contains {
                $0.hasPrefix(
                    "ok: gRPC collector down: 2 requests answered, 6 spans dropped (export_failed), one warning: warning: trace: cannot export 3 spans to http://127.0.0.1:"
                )
                    && $0.hasSuffix(": connection refused; spans are dropped until it answers")
            })
    }

    /// The SDK's variables are checked before the server listens, naming the variable and file at
    /// fault (a certificate that is not one, a key of another certificate), never the headers' values.
    @Test(arguments: [
        (
            ["OTEL_EXPORTER_OTLP_CERTIFICATE": "/no/such/ca.pem"],
            "Error: OTEL_EXPORTER_OTLP_CERTIFICATE=/no/such/ca.pem: no PEM certificate could be read"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": "{client.pem}", "OTEL_EXPORTER_OTLP_CLIENT_KEY": "{other.key}"],
            "Error: OTEL_EXPORTER_OTLP_CLIENT_KEY={other.key}: the key does not match the certificate in {client.pem}"
        ),
        (
            ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "{client.pem}"],
            "Error: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set but not OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY (or OTEL_EXPORTER_OTLP_CLIENT_KEY): a client certificate needs its key"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_HEADERS": "authorization=Bearer%2secret"],
            "Error: OTEL_EXPORTER_OTLP_TRACES_HEADERS: header authorization: expected a percent-encoded UTF-8 value without control characters"
        ),
    ])
    func badOpenTelemetryVariablesStopTheServerBeforeItListens(variables: [String: String], line: String) throws {
        let certificates = try TestCertificates()
        let environment = variables.mapValues {
            $0.replacingOccurrences(of: "{client.pem}", with: certificates.clientCertificate).replacingOccurrences(
                of: "{other.key}", with: certificates.otherKey)
        }
        let result = try ProcessRunner.ledge(
            [
                "serve", "-m", Fixtures.model("add.onnx"), "--no-probe", "--port", "0", "--trace-config", "mode=opentelemetry",
                "--trace-config", "opentelemetry,url=https://127.0.0.1:4318/v1/traces",
            ], environment: environment, timeLimit: 60)
        let expected = line.replacingOccurrences(of: "{client.pem}", with: certificates.clientCertificate).replacingOccurrences(
            of: "{other.key}", with: certificates.otherKey)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix(expected + "\n"), "\(result.stderr)")
        #expect(!result.stderr.contains("secret"))
    }

    /// A check script passed and printed each of `printed`.
    static func expect(_ result: ProcessResult, _ script: String, printed: [String]) {
        #expect(result.passed, "\(script) failed: \(result.stderr)")
        let lines = result.lines
        for line in printed { #expect(lines.contains(line), "missing line: \(line)\n\(result.stdout)") }
    }

    @Test(arguments: [
        (
            ["--trace-config", "level=TIMESTAMPS"],
            "Error: --trace-config level=TIMESTAMPS needs a trace file: add --trace-config triton,file=PATH (or mode=opentelemetry)"
        ),
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
