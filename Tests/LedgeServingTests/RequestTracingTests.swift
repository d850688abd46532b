import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Logging
import GRPCCore
import LedgeFetch
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

    /// Triton's OpenTelemetry mode settings, and where spans go.
    @Test func openTelemetryModeIsRead() throws {
        let settings = try TraceSettings(config: [
            "mode=opentelemetry", "level=TIMESTAMPS", "rate=1", "opentelemetry,url=127.0.0.1:4318/v1/traces",
            "opentelemetry,resource=service.name=edge", "opentelemetry,resource=site=kitchen", "opentelemetry,bsp_max_queue_size=100",
            "opentelemetry,bsp_schedule_delay=250", "opentelemetry,bsp_max_export_batch_size=10",
        ])
        #expect(settings.mode == .opentelemetry && settings.levels == [.timestamps] && settings.file.isEmpty)
        #expect(settings.values["trace_mode"] == ["opentelemetry"] && settings.values["trace_file"] == [""])
        let otel = settings.openTelemetry
        #expect(otel.resource.map { "\($0.key)=\($0.value)" } == ["service.name=edge", "site=kitchen"])
        #expect(otel.maxQueueSize == 100 && otel.scheduleDelayMilliseconds == 250 && otel.maxExportBatchSize == 10)
        #expect(otel.endpoint == (try OTLPEndpoint(url: "http://127.0.0.1:4318/v1/traces")))
        #expect(OpenTelemetrySettings().url == "http://localhost:4318/v1/traces" && OpenTelemetrySettings().resource.first?.value == "ledge")
        let ipv6 = try OTLPEndpoint(url: "http://[::1]:4318/otlp/v1/traces")
        #expect(ipv6.host == "::1" && ipv6.port == 4318 && ipv6.path == "/otlp/v1/traces")
        #expect(ipv6.description == "http://[::1]:4318/otlp/v1/traces")
        let bare = try OTLPEndpoint(url: "http://collector")
        #expect(bare.host == "collector" && bare.port == 80 && bare.path == "/v1/traces")
        let secure = try OTLPEndpoint(url: "https://collector")
        #expect(secure.url.secure && secure.port == 443 && secure.description == "https://collector/v1/traces")
        #expect(!(try OTLPEndpoint(url: "collector:4318")).url.secure)
    }

    /// The OpenTelemetry SDK's OTEL_EXPORTER_OTLP_* variables: the traces-only one before the
    /// generic one, an empty one as unset, `opentelemetry,url` before either endpoint variable.
    @Test func openTelemetryVariablesAreRead() throws {
        let environment = [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318/otlp//",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": "/etc/ca.pem", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": "",
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": "/etc/client.pem", "OTEL_EXPORTER_OTLP_CLIENT_KEY": "/etc/client.key",
            "OTEL_EXPORTER_OTLP_HEADERS": "ignored=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": " api-key = a%20b%3D%2C%C3%A9 ,x-tenant=edge,,",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2500",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=env,site=lab%201, rack = 7", "OTEL_SERVICE_NAME": "camera",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
        ]
        let otel = try TraceSettings(config: ["mode=opentelemetry"], environment: environment).openTelemetry
        #expect(otel.resource.map { "\($0.key)=\($0.value)" } == ["site=lab 1", "rack=7", "service.name=camera"])
        #expect(otel.url == "https://collector.example:4318/otlp/v1/traces")
        #expect(otel.certificate == "/etc/ca.pem" && otel.clientCertificate == "/etc/client.pem" && otel.clientKey == "/etc/client.key")
        #expect(otel.headers.map { "\($0.key)=\($0.value)" } == ["api-key=a b=,é", "x-tenant=edge"])
        #expect(otel.gzip && otel.timeoutMilliseconds == 2500)
        #expect(otel.origins["clientKey"] == "OTEL_EXPORTER_OTLP_CLIENT_KEY")
        let given = try TraceSettings(config: ["mode=opentelemetry", "opentelemetry,url=http://127.0.0.1:4318/v1/traces"], environment: environment)
        #expect(given.openTelemetry.url == "http://127.0.0.1:4318/v1/traces")
        let named = try TraceSettings(
            config: ["mode=opentelemetry", "opentelemetry,resource=service.name=edge", "opentelemetry,resource=rack=9"], environment: environment)
        #expect(named.openTelemetry.resource.map { "\($0.key)=\($0.value)" } == ["service.name=edge", "rack=9", "site=lab 1"])
        let traces = try TraceSettings(
            config: ["mode=opentelemetry"],
            environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c:4318/custom", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"])
        #expect(traces.openTelemetry.url == "https://c:4318/custom")
        // Only OpenTelemetry mode reads them: a Triton trace file ignores a bad one.
        #expect(try TraceSettings(config: [], environment: ["OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"]) == TraceSettings())
        let plain = try TraceSettings(config: ["mode=opentelemetry"], environment: [:]).openTelemetry
        #expect(plain.headers.isEmpty && !plain.gzip && plain.timeoutMilliseconds == 10_000 && plain.certificate == nil && !plain.grpc)
    }

    /// `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`: either endpoint variable as it is (no `/v1/traces`),
    /// the SDKs' `localhost:4317` when none is set, `opentelemetry,url` still first.
    @Test func grpcProtocolTakesTheEndpointAsItIs() throws {
        let generic = try TraceSettings(
            config: ["mode=opentelemetry"], environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4317"])
        #expect(generic.openTelemetry.grpc && generic.openTelemetry.url == "https://c:4317")
        let none = try TraceSettings(config: ["mode=opentelemetry"], environment: ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"])
        #expect(none.openTelemetry.grpc && none.openTelemetry.url == "http://localhost:4317")
        let given = try TraceSettings(
            config: ["mode=opentelemetry", "opentelemetry,url=http://127.0.0.1:14317"], environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        #expect(given.openTelemetry.url == "http://127.0.0.1:14317")
    }

    /// gRPC status codes as the exporter reads them: OTLP's retryable ones tried again, others not;
    /// a connection that could not be made, and the call's own deadline, are no answer (no retry).
    @Test func grpcAnswersAreSortedAsOverHTTP() {
        #expect(
            OTLPGRPCSender.delivery(RPCError(code: .unavailable, message: "busy"), timeoutSeconds: 2)
                == .refused(answer: "UNAVAILABLE (busy)", retryable: true, retryAfter: nil))
        #expect(
            OTLPGRPCSender.delivery(RPCError(code: .resourceExhausted, message: ""), timeoutSeconds: 2)
                == .refused(answer: "RESOURCE_EXHAUSTED", retryable: false, retryAfter: nil))
        #expect(
            OTLPGRPCSender.delivery(RPCError(code: .invalidArgument, message: "bad"), timeoutSeconds: 2)
                == .refused(answer: "INVALID_ARGUMENT (bad)", retryable: false, retryAfter: nil))
        #expect(OTLPGRPCSender.delivery(RPCError(code: .deadlineExceeded, message: "late"), timeoutSeconds: 2) == .failed("no answer within 2 s"))
        // A google.rpc.Status trailer with a RetryInfo of 2.5 s: its delay, and RESOURCE_EXHAUSTED becomes retryable.
        func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(payload.count)] + payload }
        let duration: [UInt8] = [0x08, 2, 0x10, 0x80, 0xCA, 0xB5, 0xEE, 0x01]  // seconds 2, nanos 500_000_000
        let retryInfo = field(1, Array("type.googleapis.com/google.rpc.RetryInfo".utf8)) + field(2, field(1, duration))
        let status: [UInt8] = [0x08, 8] + field(2, Array("full".utf8)) + field(3, retryInfo)
        #expect(OTLPRetryInfo.delay(status: status) == 3)
        #expect(OTLPRetryInfo.delay(status: [0x08, 8] + field(2, Array("full".utf8))) == nil)
        #expect(OTLPRetryInfo.delay(status: [0x08, 8] + field(3, field(1, Array("type.googleapis.com/google.rpc.Other".utf8)))) == nil)
        #expect(OTLPRetryInfo.delay(status: Array(status.prefix(9))) == nil)  // cut short
        #expect(
            OTLPGRPCSender.delivery(
                RPCError(code: .resourceExhausted, message: "full", metadata: ["grpc-status-details-bin": .binary(status)]), timeoutSeconds: 2)
                == .refused(answer: "RESOURCE_EXHAUSTED (full)", retryable: true, retryAfter: "3"))
        let unreached = RPCError(code: .unavailable, message: "Channel is in a transient failure state and 'wait for ready' isn't enabled.")
        #expect(OTLPGRPCSender.delivery(unreached, timeoutSeconds: 2) == .failed(unreached.message))
    }

    @Test(arguments: [
        (
            ["OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector"],
            "OTEL_EXPORTER_OTLP_ENDPOINT=ftp://collector/v1/traces: expected http(s)://HOST:PORT/PATH"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c:0/v1/traces"],
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=https://c:0/v1/traces: the port must be 1-65535"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": "/k.pem"],
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY is set but not OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE (or OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE): a client certificate needs its key"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=edge,authorization Bearer secret"],
            "OTEL_EXPORTER_OTLP_HEADERS: pair 2 has no '=': expected NAME=VALUE pairs separated by commas"
        ),
        (["OTEL_EXPORTER_OTLP_HEADERS": "api key=1"], "OTEL_EXPORTER_OTLP_HEADERS: header name 'api key' is not an HTTP field name"),
        (["OTEL_EXPORTER_OTLP_HEADERS": "Content-Type=text/plain"], "OTEL_EXPORTER_OTLP_HEADERS: header Content-Type is one ledge sets itself"),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-key=secret%0D%0AHost: evil"],
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS: header x-key: expected a percent-encoded UTF-8 value without control characters"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "x-key=secret%FF"],
            "OTEL_EXPORTER_OTLP_HEADERS: header x-key: expected a percent-encoded UTF-8 value without control characters"
        ),
        (
            ["OTEL_RESOURCE_ATTRIBUTES": "site=a, =b"],
            "OTEL_RESOURCE_ATTRIBUTES: an attribute with no name: expected NAME=VALUE pairs separated by commas"
        ),
        (
            ["OTEL_RESOURCE_ATTRIBUTES": "site=%zz"],
            "OTEL_RESOURCE_ATTRIBUTES: attribute site: expected a percent-encoded UTF-8 value without control characters"
        ),
        (
            ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"],
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json: expected http/protobuf or grpc (ledge does not export OTLP as JSON)"
        ),
        (
            ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret,grpc-timeout=1S"],
            "OTEL_EXPORTER_OTLP_HEADERS: header grpc-timeout is one gRPC sets itself"
        ),
        (
            ["OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "zstd"],
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=zstd: expected gzip or none"
        ),
        (["OTEL_EXPORTER_OTLP_TIMEOUT": "10s"], "OTEL_EXPORTER_OTLP_TIMEOUT is '10s': expected an integer of at least 1"),
    ])
    func badOpenTelemetryVariablesAreNamed(environment: [String: String], message: String) {
        do {
            _ = try TraceSettings(config: ["mode=opentelemetry"], environment: environment)
            Issue.record("accepted \(environment)")
        } catch let error as LedgeError {
            #expect(error.message == message)
            #expect(!error.message.contains("secret"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// A collector's "busy" answers are tried again after its Retry-After (at most 30 s), else 1, 2, 4 s;
    /// other answers, and a fourth retry, are not.
    @Test func busyCollectorsAreTriedAgain() {
        #expect((0...3).map { OTLPRetry.delay(status: 503, retryAfter: nil, retry: $0) } == [1, 2, 4, nil])
        #expect([429, 502, 503, 504].map { OTLPRetry.delay(status: $0, retryAfter: "7", retry: 2) } == [7, 7, 7, 7])
        #expect(OTLPRetry.delay(status: 503, retryAfter: "7", retry: 3) == nil)
        #expect(
            ["0", " 2 ", "3600", "-1", "Wed, 21 Oct 2015 07:28:00 GMT"].map { OTLPRetry.delay(status: 429, retryAfter: $0, retry: 1) } == [
                0, 2, 30, 2, 0,
            ])
        // Retry-After as an HTTP date, counted from now (1445412480 is Wed, 21 Oct 2015 07:28:00 GMT), in all three forms.
        let now: Int64 = 1_445_412_473
        #expect(
            [
                "Wed, 21 Oct 2015 07:28:00 GMT", "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 2015", "Wed, 21 Oct 2015 08:00:00 GMT",
                "Wed, 21 Oct 2015 07:27:00 GMT", "Wed, 21 Oct 2015 07:28:00", "Wed, 32 Oct 2015 07:28:00 GMT", "Wed, 21 Okt 2015 07:28:00 GMT",
            ].map { RetrySchedule.delay(retryAfter: $0, retry: 0, now: now) } == [7, 7, 7, 30, 0, 1, 1, 1])
        #expect([400, 401, 404, 413, 500, 501].map { OTLPRetry.delay(status: $0, retryAfter: "1", retry: 0) } == [nil, nil, nil, nil, nil, nil])
    }

    /// Span and trace ids: from any seed (one near the top wraps; a checked add trapped there), none repeated, none zero.
    @Test func traceIDsWrapAroundAndNeverRepeat() {
        let ids = TraceIDs(seed: .max - 5)
        let drawn = (0..<1000).map { _ in ids.next(8) }
        #expect(Set(drawn).count == 1000)
        #expect(drawn.allSatisfy { $0.count == 8 && $0.contains { $0 != 0 } })
        #expect(ids.next(16).count == 16)
    }

    /// W3C Trace Context's `traceparent`: what is taken, and what is ignored (a trace of its own).
    @Test func traceparentHeaders() throws {
        let parent = try #require(TraceParent(header: "00-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424-01"))
        #expect(parent.traceID == [0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x12, 0x66, 0x6c])
        #expect(parent.spanID == [0xb7, 0xad, 0x6b, 0x71, 0x69, 0x24, 0x24, 0x24] && parent.flags == 1)
        #expect(TraceParent(header: "01-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424-01-later") != nil)  // a later version may add fields
        for ignored in [
            nil, "", "00-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424-01-extra", "ff-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424-01",
            "00-00000000000000000000000000000000-b7ad6b7169242424-01", "00-0af7651916cd43dd8448eb211c12666c-0000000000000000-01",
            "00-0AF7651916CD43DD8448EB211C12666C-b7ad6b7169242424-01", "00-0af7651916cd43dd8448eb211c12666-b7ad6b7169242424-01",
            "00-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424", "0-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424-01",
        ] {
            #expect(TraceParent(header: ignored) == nil, "\(ignored ?? "nil")")
        }
    }

    @Test(arguments: [
        (["level=TIMESTAMPS"], "--trace-config level=TIMESTAMPS needs a trace file: add --trace-config triton,file=PATH (or mode=opentelemetry)"),
        (["rate=0"], "--trace-config rate is '0': expected an integer of at least 1"),
        (["count=many"], "--trace-config count is 'many': expected an integer of at least -1"),
        (["triton,log-frequency=-1"], "--trace-config log-frequency is '-1': expected an integer of at least 0"),
        (["level=LOUD"], "--trace-config level 'LOUD': expected OFF, TIMESTAMPS or TENSORS"),
        (["mode=jaeger"], "--trace-config mode=jaeger: expected mode=triton or mode=opentelemetry"),
        (["file="], "--trace-config file= names no file"),
        (
            ["triton,file"],
            "--trace-config 'triton,file': expected SETTING=VALUE (rate, level, count, mode), triton,SETTING=VALUE (file, log-frequency) or opentelemetry,SETTING=VALUE"
        ),
        (["opentelemetry,url=x", "level=TIMESTAMPS"], "--trace-config opentelemetry,url=x needs --trace-config mode=opentelemetry"),
        (
            ["mode=opentelemetry", "level=TENSORS"],
            "--trace-config level=TENSORS: OpenTelemetry mode exports timestamps only, as Triton's: expected TIMESTAMPS"
        ),
        (
            ["mode=opentelemetry", "triton,file=/tmp/t.json"],
            "--trace-config triton,file=/tmp/t.json is Triton's trace file: it does not go with mode=opentelemetry"
        ),
        (
            ["mode=opentelemetry", "opentelemetry,url=https://user@collector/v1/traces"],
            "--trace-config opentelemetry,url=https://user@collector/v1/traces: expected http(s)://HOST:PORT/PATH"
        ),
        (
            ["mode=opentelemetry", "opentelemetry,url=collector:99999/v1/traces"],
            "--trace-config opentelemetry,url=collector:99999/v1/traces: the port must be 1-65535"
        ),
        (["opentelemetry,url=http:///v1/traces"], "--trace-config opentelemetry,url=http:///v1/traces: expected http(s)://HOST:PORT/PATH"),
        (["opentelemetry,resource=service.name"], "--trace-config 'opentelemetry,resource=service.name': expected opentelemetry,resource=KEY=VALUE"),
        (
            ["mode=opentelemetry", "opentelemetry,bsp_max_queue_size=10", "opentelemetry,bsp_max_export_batch_size=20"],
            "--trace-config opentelemetry,bsp_max_export_batch_size is 20: expected at most bsp_max_queue_size (10)"
        ),
        (
            ["opentelemetry,bsp_schedule_delay=0"],
            "--trace-config opentelemetry,bsp_schedule_delay is '0': expected an integer of at least 1"
        ),
        (
            ["opentelemetry,bsp_timeout=1"],
            "--trace-config 'opentelemetry,bsp_timeout=1': unknown setting 'bsp_timeout': expected url, resource, bsp_max_queue_size, bsp_schedule_delay or bsp_max_export_batch_size"
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
