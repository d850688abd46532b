import Foundation
import LedgeTesting
import Testing

/// `ledge deploy apply` to a device whose server requires a bearer token and serves HTTPS: the
/// token, certificate and key go with the release, the checks use them, and a changed token is a
/// new release. A real sshd on 127.0.0.6 (LedgeTesting's SSHFleet, removed afterwards); the client
/// is Python's `ssl` (scripts/check_tls.py), verifying the chain and the address.
@Suite(.serialized, .ownThread) struct DeploySecretsTests {
    let port = Int.random(in: 20_000...29_000) * 2
    static let token = "deploy-test-token-0123456789abcdef"

    private func ledge(_ fleet: SSHFleet, _ command: [String], _ extra: [String]) throws -> ProcessResult {
        let arguments = ["deploy"] + command + ["--ssh-config", fleet.configPath, "--device", fleet.devices[0].alias, "--port", String(port)]
        return try ProcessRunner.ledge(arguments + extra, environment: ["XDG_CACHE_HOME": fleet.directory + "/cache"], timeLimit: 300)
    }

    private func apply(_ fleet: SSHFleet, _ extra: [String]) throws -> ProcessResult {
        try ledge(fleet, ["apply", "--listen", "ssh", "--check-port", String(port + 1), "-m", Fixtures.model("add.onnx")], extra)
    }

    private func checkTLS(_ address: String, ca: String, token: String) async throws -> [String] {
        let arguments = [Fixtures.packageRoot + "/scripts/check_tls.py", "--url", "https://\(address):\(port)", "--ca", ca, "--token", token]
        let result = try await ProcessRunner.runOffExecutor(Fixtures.home + "/venv/bin/python", arguments, timeLimit: 120)
        return (result.stdout + result.stderr).split(separator: "\n").map(String.init)
    }

    @Test func theTokenAndCertificateGoWithTheReleaseAndANewTokenIsANewRelease() async throws {
        try await SSHFleet.withFleet(addresses: ["127.0.0.6"]) { fleet in
            let device = fleet.devices[0]
            defer { Task { _ = try? await device.run("for f in .ledge/run/*.pid; do [ -f $f ] && kill $(cat $f); done; true") } }
            let certificates = try TestCertificates(addresses: [device.address])
            let tokenFile = fleet.directory + "/token"
            // The fleet's token file: a camera's limited token, and the unlimited one the checks use.
            let camera = "camera-token-0123456789abcdef"
            try "\(camera)  models=add inference\n\(Self.token)\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let secure = [
                "--auth-token-file", tokenFile, "--tls-cert", certificates.certificate, "--tls-key", certificates.key, "--tls-ca", certificates.ca,
                "--serve-env", "MALLOC_ARENA_MAX=4",
            ]

            // A bad token is refused before anything is sent.
            try "short\n".write(toFile: fleet.directory + "/short", atomically: true, encoding: .utf8)
            let refused = try apply(fleet, ["--auth-token-file", fleet.directory + "/short"])
            #expect(refused.status != 0)
            #expect(
                refused.stderr.contains("device '\(device.alias)': \(fleet.directory)/short: the token must be at least 16 characters, got 5"),
                "\(refused.stderr)")
            // So is a file of limited tokens only: the device checks reach several APIs.
            try "\(Self.token) inference\n".write(toFile: fleet.directory + "/limited", atomically: true, encoding: .utf8)
            let limited = try apply(fleet, ["--auth-token-file", fleet.directory + "/limited"])
            #expect(limited.status != 0)
            #expect(
                limited.stderr.contains(
                    "device '\(device.alias)': \(fleet.directory)/limited: no unlimited token: the device checks need a line with a token alone (limited lines may follow)"
                ),
                "\(limited.stderr)")
            #expect(try await device.run("test -e .ledge").status != 0)

            // A certificate for another address fails the check on the spare port, saying why, at the first handshake
            // (no waiting out --ready-timeout: a loaded CI machine once took longer than a short one to start the server).
            let elsewhere = try TestCertificates(addresses: ["127.0.0.99"])
            let misnamed = try apply(fleet, ["--tls-cert", elsewhere.certificate, "--tls-key", elsewhere.key, "--tls-ca", elsewhere.ca])
            #expect(misnamed.status == 1)
            #expect(
                misnamed.stdout.contains(
                    "the new release failed its check: https://\(device.address):\(port + 1): the server's certificate does not name this host or address"
                ), "\(misnamed.stdout)")

            // Without --tls-ca the system's roots do not know the test CA.
            let untrusted = try apply(fleet, ["--tls-cert", certificates.certificate, "--tls-key", certificates.key])
            #expect(untrusted.status == 1)
            #expect(
                untrusted.stdout.contains(
                    "the new release failed its check: https://\(device.address):\(port + 1): the server's certificate does not verify against the trust roots"
                ), "\(untrusted.stdout)")

            // Checked on the spare port and on the real one over HTTPS with the token, else it would not deploy.
            let first = try apply(fleet, secure)
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)\(DeployApplyTests.logs(fleet))")
            #expect(first.stdout.contains(" deployed "), "\(first.stdout)")
            let lines = try await checkTLS(device.address, ca: certificates.ca, token: Self.token)
            for line in [
                "ok: GET /v2 without a token: 401 missing 'Authorization: Bearer TOKEN' header",
                "ok: infer(add) over TLS with the token: 200, exactly a + b", "all tls checks passed",
            ] {
                #expect(lines.contains(line), "missing line: \(line)\n\(lines)")
            }
            // The device's server reads every line (normalized); the checks carried the unlimited one.
            let served = try await device.run("cat .ledge/current/secrets/auth-token").stdout
            #expect(served == "\(camera) inference models=add\n\(Self.token)\n", "\(served)")
            let modes = try await device.run("cd .ledge/current/secrets && stat -c '%a %n' . auth-token tls.crt tls.key serve.env").stdout
            #expect(modes == "700 .\n600 auth-token\n600 tls.crt\n600 tls.key\n600 serve.env\n")
            // --serve-env: in the release, and in the environment of the server it started.
            let environment = try await device.run(
                "cat .ledge/current/secrets/serve.env; for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null | grep -qx MALLOC_ARENA_MAX=4 "
                    + "&& tr '\\0' ' ' < $p/cmdline && echo; done"
            ).stdout
            #expect(environment.hasPrefix("MALLOC_ARENA_MAX=4\n") && environment.contains("usr/bin/ledge serve --model-repository"), "\(environment)")

            // status reads the release's own token on the device: ready over HTTPS, and /metrics (closed to
            // requests without the token) counted the apply's check and the client's inference.
            let status = try ledge(fleet, ["status", "--json"], ["--tls-ca", certificates.ca])
            #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
            #expect(listed.first?["ready"] as? Bool == true, "\(status.stdout)")
            #expect((listed.first?["requests"] as? Int ?? 0) >= 2, "\(status.stdout)")

            // The same settings: unchanged. A new token: a new release, and only the new token is taken.
            let again = try apply(fleet, secure)
            #expect(again.stdout.contains(" unchanged "), "\(again.stdout)")
            let newToken = "rotated-token-" + String(repeating: "7", count: 20)
            try (newToken + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let rotated = try apply(fleet, secure)
            #expect(rotated.status == 0, "\(rotated.stdout)\(rotated.stderr)")
            #expect(rotated.stdout.contains(" deployed "), "\(rotated.stdout)")
            #expect(try await checkTLS(device.address, ca: certificates.ca, token: newToken).contains("all tls checks passed"))
            #expect(!(try await checkTLS(device.address, ca: certificates.ca, token: Self.token).contains("all tls checks passed")))

            // Mutual TLS: the server asks for a certificate from the test CA; the checks present ours.
            let mutual = secure + ["--tls-client-ca", certificates.ca]
            let withoutIdentity = try apply(fleet, mutual)
            #expect(withoutIdentity.status == 2)
            #expect(
                withoutIdentity.stderr.contains(
                    "device '\(device.alias)': tls_client_ca needs tls_client_cert and tls_client_key: the checks of the new release present them"),
                "\(withoutIdentity.stderr)")
            let mismatched = try apply(
                fleet, mutual + ["--tls-client-cert", certificates.clientCertificate, "--tls-client-key", certificates.otherKey])
            #expect(mismatched.status == 3)
            #expect(
                mismatched.stderr.contains(
                    "device '\(device.alias)': tls_client_key \(certificates.otherKey): the key does not match the certificate in \(certificates.clientCertificate)"
                ), "\(mismatched.stderr)")
            let identity = ["--tls-client-cert", certificates.clientCertificate, "--tls-client-key", certificates.clientKey]
            let mutualApply = try apply(fleet, mutual + identity)
            #expect(mutualApply.status == 0, "\(mutualApply.stdout)\(mutualApply.stderr)\(DeployApplyTests.logs(fleet))")
            #expect(mutualApply.stdout.contains(" deployed "), "\(mutualApply.stdout)")
            #expect(try await probe(device.address, ca: certificates.ca, client: nil, token: newToken) == "refused TLSV13_ALERT_CERTIFICATE_REQUIRED")
            #expect(
                try await probe(
                    device.address, ca: certificates.ca, client: (certificates.clientCertificate, certificates.clientKey), token: newToken)
                    == "http 200 01")
            let mode = try await device.run("stat -c '%a %n' .ledge/current/secrets/client-ca.pem").stdout
            #expect(mode == "600 .ledge/current/secrets/client-ca.pem\n")
            let mutualStatus = try ledge(fleet, ["status", "--json"], ["--tls-ca", certificates.ca] + identity)
            let ready = try #require(try JSONSerialization.jsonObject(with: Data(mutualStatus.stdout.utf8)) as? [[String: Any]])
            #expect(ready.first?["ready"] as? Bool == true, "\(mutualStatus.stdout)")
            let anonymous = try ledge(fleet, ["status", "--json"], ["--tls-ca", certificates.ca])
            let refusedStatus = try #require(try JSONSerialization.jsonObject(with: Data(anonymous.stdout.utf8)) as? [[String: Any]])
            #expect(refusedStatus.first?["ready"] as? Bool == false, "\(anonymous.stdout)")
            #expect(
                refusedStatus.first?["error"] as? String
                    == "the server asks for a client certificate (mutual TLS): give --tls-client-cert and --tls-client-key", "\(anonymous.stdout)")
        }
    }

    /// scripts/tls_probe.py: GET /v2 over TLS, as `http STATUS SERIAL` or `refused REASON`.
    private func probe(_ address: String, ca: String, client: (String, String)?, token: String) async throws -> String {
        let arguments =
            [Fixtures.packageRoot + "/scripts/tls_probe.py", "http", "--url", "https://\(address):\(port)", "--ca", ca, "--token", token]
            + (client.map { ["--cert", $0.0, "--key", $0.1] } ?? [])
        let result = try await ProcessRunner.runOffExecutor(Fixtures.home + "/venv/bin/python", arguments, timeLimit: 60)
        #expect(result.status == 0, "tls_probe.py failed: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
