internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServer
internal import LedgeServing
internal import Logging

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
        help: ArgumentHelp(
            "Read the tokens from this file, one per line: 'TOKEN' (every API and model), optionally limited to APIs, 'SCOPE,SCOPE…' (health, metadata, inference, model-repository, metrics, statistics, logging, shared-memory, trace), and to models, 'models=NAME,NAME…' (403 elsewhere).",
            valueName: "path"))
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

    @Option(
        name: .customLong("tls-client-ca"),
        help: ArgumentHelp(
            "Mutual TLS: refuse clients that do not present a certificate signed by a CA in this PEM file (HTTP and gRPC).",
            valueName: "pem"))
    var tlsClientCA: String?

    @Option(
        name: .customLong("credentials-poll-secs"),
        help: ArgumentHelp(
            "How often --tls-cert, --tls-key and --auth-token-file are read again: a changed, valid file is served from the next handshake or request, an invalid one is logged and the old one kept. 0: only on SIGHUP.",
            valueName: "seconds"))
    var credentialsPollSecs: Double = 60

    /// `open`: no token needed; `closed`: the token is needed.
    enum Openness: String, ExpressibleByArgument, CaseIterable {
        case open, closed
    }

    func validate() throws {
        if authToken != nil && authTokenFile != nil { throw ValidationError("give either --auth-token or --auth-token-file, not both") }
        if let authToken, let problem = AccessPolicy.problem(token: authToken) { throw ValidationError("--auth-token: \(problem)") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together: give both or neither") }
        if tlsClientCA != nil && tlsCert == nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        if !(credentialsPollSecs >= 0 && credentialsPollSecs <= 86_400) {
            throw ValidationError("--credentials-poll-secs must be between 0 and 86400 seconds, got \(credentialsPollSecs)")
        }
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
        if let grants = try grants(environment: environment) {
            settings.access = AccessPolicy(grants: grants, healthOpen: authHealth != .closed, metricsOpen: authMetrics == .open)
        } else if authHealth != nil || authMetrics != nil {
            throw LedgeError.usage(
                "--auth-health and --auth-metrics need a token: --auth-token, --auth-token-file or \(Self.tokenVariable)")
        }
        if let tlsCert, let tlsKey { settings.tls = try ServerTLS(certificateFile: tlsCert, keyFile: tlsKey, clientCAFile: tlsClientCA) }
        return settings
    }

    /// What reloads the certificate, the key and the token file while the server runs.
    func refresh(_ settings: Settings, logger: Logger) async -> CredentialRefresh {
        await CredentialRefresh(
            tls: settings.tls?.credentials, clientTrust: settings.tls?.clientTrust, tokenFile: authTokenFile, policy: settings.access,
            interval: credentialsPollSecs > 0 ? .milliseconds(Int64((credentialsPollSecs * 1000).rounded())) : nil, logger: logger)
    }

    private func grants(environment: [String: String]) throws -> [AccessPolicy.Grant]? {
        if let authToken { return [AccessPolicy.Grant(authToken)] }
        if let authTokenFile {
            return try AccessPolicy.readGrants(file: authTokenFile, kind: "--auth-token-file", label: "--auth-token-file \(authTokenFile)")
        }
        guard let token = environment[Self.tokenVariable], !token.isEmpty else { return nil }
        if let problem = AccessPolicy.problem(token: token) { throw LedgeError.usage("\(Self.tokenVariable): \(problem)") }
        return [AccessPolicy.Grant(token)]
    }

    /// A device's token file, read as ``AccessPolicy/readGrants(file:kind:label:)`` reads it: the
    /// token the checks carry (the first line that is a token alone: the checks reach several
    /// APIs) and every line as the device's server will read it (limited tokens for its clients).
    /// A file without an unlimited token is refused after `label`.
    static func readDeviceTokens(file: String, kind: String, label: String) throws -> (check: String, lines: [String]) {
        let grants = try AccessPolicy.readGrants(file: file, kind: kind, label: label)
        guard let check = grants.first(where: { $0.scopes == nil && $0.models == nil }) else {
            throw LedgeError.invalidInput(
                "\(label): no unlimited token: the device checks need a line with a token alone (limited lines may follow)")
        }
        return (check.token, grants.map(\.line))
    }
}
