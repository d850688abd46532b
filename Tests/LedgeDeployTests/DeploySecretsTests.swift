import Foundation
import LedgeTesting
import Testing

/// `ledge deploy apply` to a device whose server requires a bearer token and serves HTTPS: the
/// token, certificate and key go with the release, the checks use them, and a changed token is a
/// new release. A real sshd on 127.0.0.6 (LedgeTesting's SSHFleet, removed afterwards); the client
/// is Python's `ssl` (scripts/check_tls.py), verifying the chain and the address.
@Suite(.serialized) struct DeploySecretsTests {
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
            try (Self.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let secure = [
                "--auth-token-file", tokenFile, "--tls-cert", certificates.certificate, "--tls-key", certificates.key, "--tls-ca", certificates.ca,
            ]

            // A bad token is refused before anything is sent.
            try "short\n".write(toFile: fleet.directory + "/short", atomically: true, encoding: .utf8)
            let refused = try apply(fleet, ["--auth-token-file", fleet.directory + "/short"])
            #expect(refused.status != 0)
            #expect(
                refused.stderr.contains("device '\(device.alias)': \(fleet.directory)/short: the token must be at least 16 characters, got 5"),
                "\(refused.stderr)")
            #expect(try await device.run("test -e .ledge").status != 0)

            // A certificate for another address fails the check on the spare port, saying why.
            let elsewhere = try TestCertificates(addresses: ["127.0.0.99"])
            let misnamed = try apply(
                fleet, ["--tls-cert", elsewhere.certificate, "--tls-key", elsewhere.key, "--tls-ca", elsewhere.ca, "--ready-timeout", "3"])
            #expect(misnamed.status == 1)
            #expect(
                misnamed.stdout.contains("the new release failed its check: https://\(device.address):\(port + 1) was not ready within 3 s ("),
                "\(misnamed.stdout)")
            #expect(misnamed.stdout.contains("(the server's certificate does not name this host or address)"), "\(misnamed.stdout)")

            // Without --tls-ca the system's roots do not know the test CA.
            let untrusted = try apply(fleet, ["--tls-cert", certificates.certificate, "--tls-key", certificates.key, "--ready-timeout", "3"])
            #expect(untrusted.status == 1)
            #expect(untrusted.stdout.contains("(the server's certificate does not verify against the trust roots)"), "\(untrusted.stdout)")

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
            let modes = try await device.run("cd .ledge/current/secrets && stat -c '%a %n' . auth-token tls.crt tls.key").stdout
            #expect(modes == "700 .\n600 auth-token\n600 tls.crt\n600 tls.key\n")

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
        }
    }
}
