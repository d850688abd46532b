import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
import LedgeServing
import Logging
import LedgeTesting
import Testing

/// Triton's logging extension (`GET`/`POST /v2/logging`): the settings as Triton names them, a
/// change that reaches the shared level, and each refusal with its message, changing nothing.
@Suite(.ownThread) struct LogSettingsTests {
    static func withApp(_ settings: LogSettings?, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, logSettings: settings)
        let app = buildApplication(configuration: configuration, repository: try TestServer.repository(), logger: TestServer.logger)
        try await app.test(.router, body)
    }

    static func post(_ client: any TestClientProtocol, _ body: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: "/v2/logging", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) {
            ($0.status, $0.errorMessage ?? String(buffer: $0.body))
        }
    }

    @Test func readAndChangeTheLevel() async throws {
        let settings = LogSettings(level: .info, format: "default")
        try await Self.withApp(settings) { client in
            try await client.execute(uri: "/v2/logging", method: .get) { response in
                #expect(response.status == .ok)
                #expect(
                    String(buffer: response.body)
                        == #"{"log_error":true,"log_file":"","log_format":"default","log_info":true,"log_verbose_level":0,"log_warning":true}"#)
            }
            let (status, body) = try await Self.post(client, #"{"log_verbose_level": 1}"#)
            #expect(status == .ok && body.contains(#""log_verbose_level":1"#), "\(body)")
            #expect(settings.level == .debug)
            for (request, message) in [
                (#"{"log_info": false}"#, "log_verbose_level 1 needs log_info on (verbose lines come with info lines)"),
                (
                    #"{"log_verbose_level": 0, "log_error": false}"#,
                    "log_info, log_warning and log_error must describe a threshold (Ledge logs a level and every level above it): a switch may be off only when the ones below it are off too"
                ),
                (#"{"log_file": "/tmp/triton.log"}"#, "log_file cannot be set: ledge serve logs to standard error (redirect it, or use journald)"),
                (#"{"log_format": "ISO8601"}"#, "log_format cannot change while serving: it is 'default' (--log-format)"),
                (
                    #"{"log_color": true}"#,
                    "unknown log setting 'log_color': expected log_file, log_info, log_warning, log_error, log_verbose_level or log_format"
                ),
                (#"{"log_info": "yes"}"#, "log setting 'log_info' must be a boolean"),
                (#"{"log_verbose_level": -1}"#, "log setting 'log_verbose_level' must be a boolean, an unsigned integer or a string"),
                ("[1]", #"the body must be a JSON object of log settings, e.g. {"log_verbose_level": 1}"#),
            ] {
                let (status, body) = try await Self.post(client, request)
                #expect(status == .badRequest && body == message, "\(request): \(status) \(body)")
                #expect(settings.level == .debug, "\(request) changed the level")
            }
            _ = try await Self.post(client, #"{"log_verbose_level": 0, "log_info": false}"#)
            #expect(settings.level == .warning)
            _ = try await Self.post(client, #"{"log_warning": false, "log_error": false}"#)
            #expect(settings.level == .critical)
            _ = try await Self.post(client, #"{"log_info": true, "log_warning": true, "log_error": true, "log_verbose_level": 2}"#)
            #expect(settings.level == .trace)
        }
    }

    /// A level the switches cannot name (notice) stays until a switch changes.
    @Test func anUnchangedSettingKeepsTheLevel() throws {
        let settings = LogSettings(level: .notice, format: "json")
        #expect(try settings.update(["log_verbose_level": .uint32(0), "log_format": .string("json")]) == .notice)
        #expect(settings.level == .notice)
        #expect(try settings.update(["log_warning": .bool(false), "log_info": .bool(false)]) == .error)
    }

    @Test func aServerWithoutSettingsAnswers501() async throws {
        try await Self.withApp(nil) { client in
            try await client.execute(uri: "/v2/logging", method: .get) { response in
                #expect(response.status == .notImplemented)
                #expect(response.errorMessage == "log settings are not served here")
            }
        }
    }
}
