import Foundation
import LedgeTesting
import Testing

/// `ledge serve --tls-cert --tls-key` and `--auth-token-file` on the real binary: Python's `ssl`
/// client (scripts/check_tls.py) verifies the certificate against a test CA made at test time, a
/// plain-HTTP client on the TLS port fails cleanly, and bad certificates, keys and tokens stop the
/// server before it listens with one line and the documented exit code.
@Suite(.serialized, .ownThread) struct NetworkSafetyTests {
    static let token = "ledge-test-token-0123456789abcdef"

    /// scripts/check_tls.py against `server`; returns its output lines.
    /// With `sigterm`, it ends with SIGTERM to the server while it holds an idle connection.
    static func checkTLS(_ server: ServeProcess, ca: String, token: String?, sigterm: Bool = false) async throws -> [String] {
        let arguments =
            [Fixtures.packageRoot + "/scripts/check_tls.py", "--url", "https://127.0.0.1:\(server.port)", "--ca", ca]
            + (token.map { ["--token", $0] } ?? []) + (sigterm ? ["--sigterm", "\(server.pid)"] : [])
        let result = try await ProcessRunner.runOffExecutor(Fixtures.home + "/venv/bin/python", arguments, timeLimit: 120)
        #expect(result.status == 0, "check_tls.py failed: \(result.stderr)\n\(result.stdout)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func httpsWithATokenServesVerifiedClientsAndRefusesPlainHTTP() async throws {
        let certificates = try TestCertificates()
        let tokenFile = certificates.folder + "/token"
        try (Self.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "--no-probe", "--tls-cert", certificates.certificate, "--tls-key", certificates.key,
            "--auth-token-file", tokenFile, "--idle-timeout", "5",
        ])
        #expect(server.base.hasPrefix("https://127.0.0.1:"), "\(server.base)")
        let lines = try await Self.checkTLS(server, ca: certificates.ca, token: Self.token)
        for line in [
            "ok: GET /v2/health/ready over TLSv1.3: 200",
            "ok: GET /v2 without a token: 401 missing 'Authorization: Bearer TOKEN' header",
            "ok: infer(add) with a wrong token: 401 invalid bearer token",
            "ok: infer(add) over TLS with the token: 200, exactly a + b",
            "ok: without the CA: unable to get local issuer certificate",
            "ok: a slow reader (300 KB/s) of a 600 KB answer with Connection: close: all of it, then close_notify",
            "all tls checks passed",
        ] {
            #expect(lines.contains(line), "missing line: \(line)\n\(lines)")
        }

        // Plain HTTP on the TLS port: no HTTP answer, the connection closes; the server serves on.
        let plain = try RawConnection(port: server.port)
        plain.send("GET /v2/health/ready HTTP/1.1\r\nHost: ledge\r\n\r\n")
        let reply = plain.receiveAll(timeout: .seconds(30))
        #expect(reply.closed)
        #expect(!String(decoding: reply.bytes, as: UTF8.self).hasPrefix("HTTP/"), "\(reply.bytes)")
        // A handshake begun and never finished sends no request byte: the idle deadline closes it.
        let stalled = try RawConnection(port: server.port)
        stalled.send([0x16, 0x03, 0x01, 0x00])
        #expect(stalled.receiveAll(timeout: .seconds(30)).closed)
        let again = try await Self.checkTLS(server, ca: certificates.ca, token: Self.token)
        #expect(again.contains("all tls checks passed"))
        // gRPC: the same certificate and token (the target is named by IP: the test certificate's subjectAltName has it).
        let grpc = try await ProcessRunner.runOffExecutor(
            GRPCClientTests.python,
            [GRPCClientTests.script, "--target", server.grpcTarget, "--tls-ca", certificates.ca, "--token", Self.token], timeLimit: 120)
        #expect(grpc.status == 0, "check_grpc.py --tls-ca failed: \(grpc.stderr)")
        for line in [
            "ok: ServerLive over TLS without a token: live",
            "ok: ModelInfer without a token: UNAUTHENTICATED \"missing 'Authorization: Bearer TOKEN' header\"",
            "ok: ModelInfer over TLS with the token: exactly a + b",
            "ok: plaintext on the TLS port: UNAVAILABLE",
        ] {
            #expect(grpc.stdout.contains(line + "\n"), "missing line: \(line)\n\(grpc.stdout)")
        }

        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
        #expect(!server.stderr.contains("error"), "\(server.stderr)")
    }

    @Test func httpsWithoutATokenNeedsNone() async throws {
        let certificates = try TestCertificates()
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "--no-probe", "--tls-cert", certificates.certificate, "--tls-key", certificates.key,
        ])
        // An idle keep-alive client that never sends close_notify (Python's ssl does not) at SIGTERM: its
        // connection closed after the drain's idle second and the TLS handler's 0.25 s, not its default 5 s.
        let lines = try await Self.checkTLS(server, ca: certificates.ca, token: nil, sigterm: true)
        #expect(lines.contains("ok: infer(add) over TLS: 200, exactly a + b"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("ok: an idle client at SIGTERM: close_notify after 1.") }, "\(lines)")
        try await server.waitForExit()
        #expect(server.exitedCleanly, "\(server.stderr)")
    }

    /// The status of `GET path` over plain HTTP, with `Authorization: Bearer token` when given.
    static func status(_ port: Int, _ path: String, token: String? = nil) throws -> Int? {
        let connection = try RawConnection(port: port)
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        connection.send("GET \(path) HTTP/1.1\r\nHost: ledge\r\n\(authorization)Connection: close\r\n\r\n")
        return RawConnection.parse(connection.receiveAll(timeout: .seconds(30)).bytes)?.status
    }

    @Test func tokenFromTheEnvironmentWithHealthClosedAndMetricsOpen() async throws {
        let server = try ServeProcess.launch(
            ["-m", Fixtures.model("add.onnx"), "--no-probe", "--auth-health", "closed", "--auth-metrics", "open"],
            environment: ["LEDGE_AUTH_TOKEN": Self.token])
        try await server.waitUntilReady(probeReady: false)  // the probe would need the token
        #expect(try Self.status(server.port, "/v2/health/ready") == 401)
        #expect(try Self.status(server.port, "/v2/health/ready", token: Self.token) == 200)
        #expect(try Self.status(server.port, "/v2/models/add", token: Self.token) == 200)
        #expect(try Self.status(server.port, "/v2/models/add", token: "not-" + Self.token) == 401)
        #expect(try Self.status(server.port, "/metrics") == 200)
        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
    }

    /// A token file's limited line reaches only its scopes on the real server: 403 elsewhere.
    @Test func aLimitedTokenFromTheTokenFile() async throws {
        let certificates = try TestCertificates()  // only for its folder, removed with it
        let file = certificates.folder + "/tokens"
        let limited = "camera-token-0123456789abcdef"
        let otherModel = "other-model-token-0123456789"
        try "\(Self.token)\n\(limited) inference,health\n\(otherModel) models=other\n".write(toFile: file, atomically: true, encoding: .utf8)
        let server = try ServeProcess.launch(["-m", Fixtures.model("add.onnx"), "--no-probe", "--auth-token-file", file])
        try await server.waitUntilReady(probeReady: false)
        for (path, token, status) in [
            ("/v2/models/add", limited, 403), ("/v2/models/add", Self.token, 200), ("/v2/models/add/ready", limited, 200),
            ("/metrics", limited, 403), ("/metrics", Self.token, 200), ("/v2/health/ready", nil, 200),
            ("/v2/models/add", otherModel, 403), ("/v2", otherModel, 200),
        ] as [(String, String?, Int)] {
            #expect(try Self.status(server.port, path, token: token) == status, "\(path) \(token ?? "-")")
        }
        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: @Sendable (TestCertificatesPaths) -> [String]
        var environment: [String: String] = [:]
        var status: Int32
        var line: @Sendable (TestCertificatesPaths) -> String
        var testDescription: String { name }
    }

    /// The paths of a ``TestCertificates`` (which cannot be copied into closures).
    struct TestCertificatesPaths: Sendable {
        var folder, ca, certificate, key, otherKey: String
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "missing certificate file", arguments: { ["--tls-cert", $0.folder + "/nope.pem", "--tls-key", $0.key] }, status: 3,
            line: { "error: --tls-cert file not found: \($0.folder)/nope.pem" }),
        Refusal(
            name: "certificate file not PEM", arguments: { ["--tls-cert", $0.key, "--tls-key", $0.key] }, status: 3,
            line: { "error: --tls-cert \($0.key): no PEM certificate ('-----BEGIN CERTIFICATE-----') could be read" }),
        Refusal(
            name: "key file not a key", arguments: { ["--tls-cert", $0.certificate, "--tls-key", $0.certificate] }, status: 3,
            line: { "error: --tls-key \($0.certificate): no PEM private key ('-----BEGIN … PRIVATE KEY-----', unencrypted) could be read" }),
        Refusal(
            name: "key of another certificate", arguments: { ["--tls-cert", $0.certificate, "--tls-key", $0.otherKey] }, status: 3,
            line: { "error: --tls-key \($0.otherKey): the key does not match the certificate in \($0.certificate)" }),
        Refusal(
            name: "certificate without key", arguments: { ["--tls-cert", $0.certificate] }, status: 2,
            line: { _ in "Error: --tls-cert and --tls-key go together: give both or neither" }),
        Refusal(
            name: "short token", arguments: { _ in ["--auth-token", "short"] }, status: 2,
            line: { _ in "Error: --auth-token: the token must be at least 16 characters, got 5" }),
        Refusal(
            name: "both token options", arguments: { ["--auth-token", token, "--auth-token-file", $0.ca] }, status: 2,
            line: { _ in "Error: give either --auth-token or --auth-token-file, not both" }),
        Refusal(
            name: "missing token file", arguments: { ["--auth-token-file", $0.folder + "/none"] }, status: 3,
            line: { "error: --auth-token-file file not found: \($0.folder)/none" }),
        Refusal(
            name: "token in the environment with a space", arguments: { _ in [] }, environment: ["LEDGE_AUTH_TOKEN": "two words in a token"],
            status: 2, line: { _ in "error: LEDGE_AUTH_TOKEN: the token may hold only A-Z a-z 0-9 - . _ ~ + / and trailing '=' (RFC 6750 b64token)" }),
        Refusal(
            name: "client CA file not PEM", arguments: { ["--tls-cert", $0.certificate, "--tls-key", $0.key, "--tls-client-ca", $0.key] },
            status: 3, line: { "error: --tls-client-ca \($0.key): no PEM certificate ('-----BEGIN CERTIFICATE-----') could be read" }),
        Refusal(
            name: "client CA without TLS", arguments: { ["--tls-client-ca", $0.ca] }, status: 2,
            line: { _ in "Error: --tls-client-ca needs --tls-cert and --tls-key" }),
        Refusal(
            name: "token file with a bad second line", arguments: { ["--auth-token-file", $0.folder + "/two-tokens"] }, status: 3,
            line: { "error: --auth-token-file \($0.folder)/two-tokens: line 3: the token must be at least 16 characters, got 5" }),
        Refusal(
            name: "token file with an unknown scope", arguments: { ["--auth-token-file", $0.folder + "/bad-scope"] }, status: 3,
            line: {
                "error: --auth-token-file \($0.folder)/bad-scope: unknown scope 'admin': expected health, metadata, inference, model-repository, metrics, statistics, logging, shared-memory or trace"
            }),
        Refusal(
            name: "negative credentials poll", arguments: { _ in ["--credentials-poll-secs=-1"] }, status: 2,
            line: { _ in "Error: --credentials-poll-secs must be between 0 and 86400 seconds, got -1.0" }),
        Refusal(
            name: "--auth-health without a token", arguments: { _ in ["--auth-health", "closed"] }, status: 2,
            line: { _ in "error: --auth-health and --auth-metrics need a token: --auth-token, --auth-token-file or LEDGE_AUTH_TOKEN" }),
    ]

    @Test(arguments: refusals)
    func badCertificatesKeysAndTokensStopTheServerBeforeItListens(_ refusal: Refusal) throws {
        let certificates = try TestCertificates()
        try "\(Self.token)\n\nshort\n".write(toFile: certificates.folder + "/two-tokens", atomically: true, encoding: .utf8)
        try "\(Self.token) inference,admin\n".write(toFile: certificates.folder + "/bad-scope", atomically: true, encoding: .utf8)
        let paths = TestCertificatesPaths(
            folder: certificates.folder, ca: certificates.ca, certificate: certificates.certificate, key: certificates.key,
            otherKey: certificates.otherKey)
        let result = try ProcessRunner.ledge(
            ["serve", "-m", Fixtures.model("add.onnx"), "--no-probe", "--port", "0"] + refusal.arguments(paths),
            environment: refusal.environment.merging(["LEDGE_AUTH_TOKEN": ""]) { first, _ in first }, timeLimit: 60)
        #expect(result.status == refusal.status, "\(result.stderr)")
        #expect(result.stdout == "")
        // One line: ours ("error: …"), or ArgumentParser's ("Error: …") followed by the usage.
        let line = refusal.line(paths)
        if line.hasPrefix("error:") {
            #expect(result.stderr == line + "\n")
        } else {
            #expect(result.stderr.hasPrefix(line + "\n"), "\(result.stderr)")
        }
    }
}
