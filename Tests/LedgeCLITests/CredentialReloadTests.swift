import Foundation
import LedgeTesting
import Testing

/// `ledge serve` reloads its certificate, key and token file while it serves (on SIGHUP and every
/// `--credentials-poll-secs`), keeps what it had when a file goes bad, and asks clients for a
/// certificate with `--tls-client-ca`. The clients are Python's `ssl` and grpcio (scripts/tls_probe.py),
/// which print which certificate they were served (its serial number) or why the handshake failed.
@Suite(.serialized, .ownThread) struct CredentialReloadTests {
    static let oldToken = "ledge-old-token-0123456789abcdef"
    static let newToken = "ledge-new-token-fedcba9876543210"

    /// One scripts/tls_probe.py call: `http` (GET /v2) or `grpc` (ServerLive) to `server`.
    static func probe(
        _ server: ServeProcess, _ protocolName: String, ca: String, client: (String, String)? = nil, token: String? = nil
    ) async throws -> String {
        let target = protocolName == "http" ? ["--url", "https://127.0.0.1:\(server.port)"] : ["--target", server.grpcTarget]
        let arguments =
            [Fixtures.packageRoot + "/scripts/tls_probe.py", protocolName] + target + ["--ca", ca]
            + (client.map { ["--cert", $0.0, "--key", $0.1] } ?? []) + (token.map { ["--token", $0] } ?? [])
        let result = try await ProcessRunner.runOffExecutor(GRPCClientTests.python, arguments, timeLimit: 60)
        #expect(result.status == 0, "tls_probe.py failed: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits (at most 30 s) for `line` in the server's standard error.
    static func waitForLog(_ server: ServeProcess, _ line: String) async throws {
        let log = try await server.log(until: { $0.contains(line) })
        #expect(log.contains(line), "no line '\(line)' in:\n\(log)")
    }

    /// Replaces `path` at once (write aside, rename), as a Kubernetes Secret volume or certbot does.
    static func replace(_ path: String, with text: String) throws {
        try text.write(toFile: path + ".new", atomically: false, encoding: .utf8)
        guard rename(path + ".new", path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    @Test func aRenewedCertificateAndTokenFileServeAfterSIGHUPAndABrokenOneIsKeptOut() async throws {
        let first = try TestCertificates(serial: 0x51)
        let renewed = try TestCertificates(serial: 0x52)
        let (certificate, key, tokens) = (first.folder + "/live.pem", first.folder + "/live.key", first.folder + "/tokens")
        try Self.replace(certificate, with: String(contentsOfFile: first.certificate, encoding: .utf8))
        try Self.replace(key, with: String(contentsOfFile: first.key, encoding: .utf8))
        try Self.replace(tokens, with: Self.oldToken + "\n")
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "--no-probe", "--tls-cert", certificate, "--tls-key", key, "--auth-token-file", tokens,
            "--credentials-poll-secs", "0",
        ])
        #expect(try await Self.probe(server, "http", ca: first.ca, token: Self.oldToken) == "http 200 51")

        // Renewal: a certificate from another CA, and a token file that accepts the old and the new token.
        try Self.replace(certificate, with: String(contentsOfFile: renewed.certificate, encoding: .utf8))
        try Self.replace(key, with: String(contentsOfFile: renewed.key, encoding: .utf8))
        try Self.replace(tokens, with: Self.oldToken + "\n" + Self.newToken + "\n")
        kill(server.pid, SIGHUP)
        try await Self.waitForLog(server, "notice: reloaded the TLS certificate from \(certificate): serial 52, valid until ")
        try await Self.waitForLog(server, "notice: reloaded the bearer tokens from \(tokens): 2 accepted")
        #expect(try await Self.probe(server, "http", ca: renewed.ca, token: Self.newToken) == "http 200 52")
        #expect(try await Self.probe(server, "http", ca: renewed.ca, token: Self.oldToken) == "http 200 52")
        #expect(try await Self.probe(server, "http", ca: first.ca, token: Self.newToken) == "refused CERTIFICATE_VERIFY_FAILED")
        #expect(try await Self.probe(server, "grpc", ca: renewed.ca) == "grpc live")

        // A broken key file: the renewed pair stays; the token file (now the new token only) is taken.
        try Self.replace(key, with: "not a key\n")
        try Self.replace(tokens, with: Self.newToken + "\n")
        kill(server.pid, SIGHUP)
        try await Self.waitForLog(
            server,
            "warning: --tls-key \(key): no PEM private key ('-----BEGIN … PRIVATE KEY-----', unencrypted) could be read; still serving the certificate loaded before\n"
        )
        try await Self.waitForLog(server, "notice: reloaded the bearer tokens from \(tokens): 1 accepted")
        #expect(try await Self.probe(server, "http", ca: renewed.ca, token: Self.newToken) == "http 200 52")
        #expect(try await Self.probe(server, "http", ca: renewed.ca, token: Self.oldToken) == "http 401 52")
        // A token file gone bad keeps the tokens accepted before.
        try Self.replace(tokens, with: "short\n")
        kill(server.pid, SIGHUP)
        try await Self.waitForLog(
            server, "warning: --auth-token-file \(tokens): the token must be at least 16 characters, got 5; still accepting the tokens loaded before")
        #expect(try await Self.probe(server, "http", ca: renewed.ca, token: Self.newToken) == "http 200 52")

        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
    }

    /// A Secret volume as kubelet writes it: `tls.crt -> ..data/tls.crt`, `..data -> ..VERSION`;
    /// an update writes a new `..VERSION` folder and renames a new `..data` link over the old one.
    static func publishSecret(in folder: String, version: String, from certificates: borrowing TestCertificates, key: String? = nil) throws {
        let files = FileManager.default
        try files.createDirectory(atPath: folder + "/" + version, withIntermediateDirectories: true)
        try files.copyItem(atPath: certificates.certificate, toPath: folder + "/\(version)/tls.crt")
        try files.copyItem(atPath: key ?? certificates.key, toPath: folder + "/\(version)/tls.key")
        try files.createSymbolicLink(atPath: folder + "/..data_tmp", withDestinationPath: version)
        guard rename(folder + "/..data_tmp", folder + "/..data") == 0 else { throw CocoaError(.fileWriteUnknown) }
        for name in ["tls.crt", "tls.key"] where !files.fileExists(atPath: folder + "/" + name) {
            try files.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: "..data/" + name)
        }
    }

    @Test func aRotatedKubernetesSecretIsServedAtTheNextPollWithoutASignal() async throws {
        let first = try TestCertificates(serial: 0x61)
        let renewed = try TestCertificates(serial: 0x62)
        let secret = first.folder + "/secret"
        try Self.publishSecret(in: secret, version: "..2026_01_01_00_00_00.1", from: first)
        let (certificate, key) = (secret + "/tls.crt", secret + "/tls.key")
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "--no-probe", "--tls-cert", certificate, "--tls-key", key, "--credentials-poll-secs", "0.2",
        ])
        #expect(try await Self.probe(server, "http", ca: first.ca) == "http 200 61")
        try Self.publishSecret(in: secret, version: "..2026_02_01_00_00_00.2", from: renewed)
        try await Self.waitForLog(server, "notice: reloaded the TLS certificate from \(certificate): serial 62, valid until ")
        #expect(try await Self.probe(server, "http", ca: renewed.ca) == "http 200 62")
        #expect(try await Self.probe(server, "grpc", ca: renewed.ca) == "grpc live")
        // A Secret whose key does not fit its certificate: warned once, not at every poll; 62 stays.
        try Self.publishSecret(in: secret, version: "..2026_03_01_00_00_00.3", from: first, key: renewed.key)
        let warning =
            "warning: --tls-key \(key): the key does not match the certificate in \(certificate); still serving the certificate loaded before"
        try await Self.waitForLog(server, warning)
        try await Task.sleep(for: .seconds(1))  // about five more polls
        #expect(server.stderr.components(separatedBy: warning).count == 2, "\(server.stderr)")
        #expect(try await Self.probe(server, "http", ca: renewed.ca) == "http 200 62")
        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
    }

    /// mTLS: only clients with a certificate from the client CA are served, on both ports; after
    /// the CA file is replaced and SIGHUP, the new CA's clients are served and the old one's refused;
    /// a CA file that goes bad is warned about and the CA loaded before stays.
    @Test func mutualTLSServesOnlyClientsWithACertificateFromTheClientCA() async throws {
        let certificates = try TestCertificates()
        let stranger = try TestCertificates()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-client-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let clientCA = folder + "/client-ca.pem"
        try Self.replace(clientCA, with: try String(contentsOfFile: certificates.ca, encoding: .utf8))
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "--no-probe", "--tls-cert", certificates.certificate, "--tls-key", certificates.key,
            "--tls-client-ca", clientCA, "--credentials-poll-secs", "0",
        ])
        let ours = (certificates.clientCertificate, certificates.clientKey)
        let theirs = (stranger.clientCertificate, stranger.clientKey)
        let untrusted = "refused SSLV3_ALERT_CERTIFICATE_UNKNOWN"
        #expect(try await Self.probe(server, "http", ca: certificates.ca) == "refused TLSV13_ALERT_CERTIFICATE_REQUIRED")
        #expect(try await Self.probe(server, "http", ca: certificates.ca, client: theirs) == untrusted)
        #expect(try await Self.probe(server, "http", ca: certificates.ca, client: ours) == "http 200 01")
        // The access line names the client's address and its certificate's subject.
        let isAccess: (Substring) -> Bool = { $0.hasPrefix("info: request ") && $0.contains(" path=/v2 ") }
        let access = try await server.log(whenALine: isAccess).split(separator: "\n").last(where: isAccess)
        #expect(access?.hasPrefix("info: request client=127.0.0.1:") == true, "\(server.stderr)")
        #expect(access?.contains(" client_cert=CN=ledge-test-client ") == true, "\(server.stderr)")
        #expect(try await Self.probe(server, "grpc", ca: certificates.ca) == "grpc refused UNAVAILABLE")
        #expect(try await Self.probe(server, "grpc", ca: certificates.ca, client: theirs) == "grpc refused UNAVAILABLE")
        #expect(try await Self.probe(server, "grpc", ca: certificates.ca, client: ours) == "grpc live")
        let isGRPCAccess: (Substring) -> Bool = { $0.hasPrefix("info: request ") && $0.contains(" protocol=grpc ") && $0.contains(" client_cert=") }
        let grpcAccess = try await server.log(whenALine: isGRPCAccess).split(separator: "\n").last {
            $0.hasPrefix("info: request ") && $0.contains(" protocol=grpc ")
        }
        #expect(grpcAccess?.contains(" client_cert=CN=ledge-test-client ") == true, "\(server.stderr)")

        // The client CA is rotated: the stranger's CA replaces ours.
        try Self.replace(clientCA, with: try String(contentsOfFile: stranger.ca, encoding: .utf8))
        kill(server.pid, SIGHUP)
        try await Self.waitForLog(server, "notice: reloaded the client CA certificates from \(clientCA): 1 CA certificate\n")
        #expect(try await Self.probe(server, "http", ca: certificates.ca, client: theirs) == "http 200 01")
        #expect(try await Self.probe(server, "http", ca: certificates.ca, client: ours) == untrusted)
        #expect(try await Self.probe(server, "grpc", ca: certificates.ca, client: theirs) == "grpc live")
        #expect(try await Self.probe(server, "grpc", ca: certificates.ca, client: ours) == "grpc refused UNAVAILABLE")

        // A file that is not PEM changes nothing.
        try Self.replace(clientCA, with: "not a certificate\n")
        kill(server.pid, SIGHUP)
        try await Self.waitForLog(
            server,
            "warning: --tls-client-ca \(clientCA): no PEM certificate ('-----BEGIN CERTIFICATE-----') could be read; still trusting the CA certificates loaded before\n"
        )
        #expect(try await Self.probe(server, "http", ca: certificates.ca, client: theirs) == "http 200 01")
        try await server.terminate()
        #expect(server.exitedCleanly, "\(server.stderr)")
    }
}
