internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServer
internal import LedgeServing

/// `ledge serve`'s network safety: a bearer token every request must carry, and TLS.
struct SecurityOptions: ParsableArguments {
    /// The environment variable read for the token when neither option gives one.
    static let tokenVariable = "LEDGE_AUTH_TOKEN"

    @Option(
        name: .customLong("auth-token"),
        help: ArgumentHelp(
            "Require 'Authorization: Bearer TOKEN' on every request (401 otherwise). Visible in ps: prefer --auth-token-file or \(tokenVariable).",
            valueName: "token"))
    var authToken: String?

    @Option(
        name: .customLong("auth-token-file"),
        help: ArgumentHelp("Read the token from this file (surrounding whitespace ignored).", valueName: "path"))
    var authTokenFile: String?

    @Option(
        name: .customLong("auth-health"),
        help: "With a token: whether health probes (/v2/health/live|ready, /health/ping|status) need it too. (default: open)")
    var authHealth: Openness?

    @Option(name: .customLong("auth-metrics"), help: "With a token: whether GET /metrics needs it too. (default: closed)")
    var authMetrics: Openness?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Serve HTTPS only, with this PEM certificate chain.", valueName: "pem"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert (unencrypted).", valueName: "pem"))
    var tlsKey: String?

    /// `open`: no token needed; `closed`: the token is needed.
    enum Openness: String, ExpressibleByArgument, CaseIterable {
        case open, closed
    }

    func validate() throws {
        if authToken != nil && authTokenFile != nil { throw ValidationError("give either --auth-token or --auth-token-file, not both") }
        if let authToken, let problem = AccessPolicy.problem(token: authToken) { throw ValidationError("--auth-token: \(problem)") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together: give both or neither") }
    }

    /// What the server is given, checked before any model loads or the server listens.
    struct Settings {
        var access: AccessPolicy?
        var tls: ServerTLS?
        /// `https` with TLS, else `http`.
        var scheme: String { tls == nil ? "http" : "https" }
    }

    /// Reads the token (option, file or environment) and loads the certificate and key; every failure
    /// is one line naming the option or file.
    func settings(environment: [String: String]) throws -> Settings {
        var settings = Settings()
        if let token = try token(environment: environment) {
            settings.access = AccessPolicy(token: token, healthOpen: authHealth != .closed, metricsOpen: authMetrics == .open)
        } else if authHealth != nil || authMetrics != nil {
            throw LedgeError.usage(
                "--auth-health and --auth-metrics need a token: --auth-token, --auth-token-file or \(Self.tokenVariable)")
        }
        if let tlsCert, let tlsKey { settings.tls = try ServerTLS(certificateFile: tlsCert, keyFile: tlsKey) }
        return settings
    }

    private func token(environment: [String: String]) throws -> String? {
        if let authToken { return authToken }
        if let authTokenFile {
            return try Self.readToken(file: authTokenFile, kind: "--auth-token-file", label: "--auth-token-file \(authTokenFile)")
        }
        guard let token = environment[Self.tokenVariable], !token.isEmpty else { return nil }
        if let problem = AccessPolicy.problem(token: token) { throw LedgeError.usage("\(Self.tokenVariable): \(problem)") }
        return token
    }

    /// The token in `file` (surrounding white space ignored), checked as a server checks it; a
    /// missing file is named as `kind`, a bad token after `label` (`serve` and `deploy apply` share it).
    static func readToken(file: String, kind: String, label: String) throws -> String {
        let data = try CheckedFile.read(file, kind: kind, expected: "a file", code: .invalidInput)
        let token = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        if let problem = AccessPolicy.problem(token: token) { throw LedgeError.invalidInput("\(label): \(problem)") }
        return token
    }
}
