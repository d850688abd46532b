public import LedgeServing
public import Logging
public import ServiceLifecycle
internal import Synchronization
internal import UnixSignals

/// Reloads what a server is given by file, while it serves: the TLS certificate and key, the
/// client CA certificates (`--tls-client-ca`) and the bearer tokens (`--auth-token-file`), every
/// `interval` and on each `SIGHUP`. A file that changed
/// and holds something usable is served from the next handshake or request on; one that does not
/// is logged (one line naming the file) and the old value stays, so a half-written renewal
/// never takes the server down. Runs as a service of the server's `ServiceGroup`.
public struct CredentialRefresh: Service {
    let tls: TLSCredentials?
    let clientTrust: ClientTrust?
    let tokens: (file: String, policy: AccessPolicy)?
    let interval: Duration?
    let logger: Logger
    /// Trapped from creation on, so a `SIGHUP` sent while models load waits for the service.
    let hangups: UnixSignalsSequence?
    let problems = ProblemMemory()

    /// Refreshes `tls` and `clientTrust` (if any) and the tokens of `policy` from `tokenFile` (if both are given).
    /// `interval`: how often the files are read (`nil`: only on `SIGHUP`).
    /// With anything to reload, `SIGHUP` is trapped from here on (and no longer ends the process).
    public init(
        tls: TLSCredentials?, clientTrust: ClientTrust? = nil, tokenFile: String?, policy: AccessPolicy?, interval: Duration?,
        logger: Logger
    ) async {
        self.tls = tls
        self.clientTrust = clientTrust
        self.tokens = tokenFile.flatMap { file in policy.map { (file, $0) } }
        self.interval = interval
        self.logger = logger
        self.hangups = tls != nil || tokens != nil ? await UnixSignalsSequence(trapping: .sighup) : nil
    }

    /// Whether there is anything to reload.
    public var isNeeded: Bool { tls != nil || tokens != nil }

    public func run() async throws {
        guard let hangups else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups {
                    logger.info("SIGHUP: reloading credentials")
                    refresh(asked: true)
                }
            }
            if let interval {
                group.addTask {
                    while (try? await Task.sleep(for: interval)) != nil { refresh(asked: false) }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Reads every file once and serves what changed and is valid; logs what it did. A problem
    /// found by polling is logged when it first appears (or changes), not at every poll; one found
    /// on `SIGHUP` (`asked`) is always logged.
    public func refresh(asked: Bool) {
        if let tls {
            report(
                tls.reload(), kind: "tls", asked: asked, reloaded: "the TLS certificate from \(tls.certificateFile)",
                keeping: "still serving the certificate loaded before")
        }
        if let clientTrust {
            report(
                clientTrust.reload(), kind: "client-ca", asked: asked, reloaded: "the client CA certificates from \(clientTrust.file)",
                keeping: "still trusting the CA certificates loaded before")
        }
        if let (file, policy) = tokens {
            do {
                let read = try AccessPolicy.readGrants(file: file, kind: "--auth-token-file", label: "--auth-token-file \(file)")
                problems.clear("tokens")
                if !policy.holds(read) {
                    policy.replaceGrants(read)
                    logger.notice("reloaded the bearer tokens from \(file): \(read.count) accepted")
                }
            } catch {
                if problems.isNew("\(error)", for: "tokens") || asked { logger.warning("\(error); still accepting the tokens loaded before") }
            }
        }
    }

    /// Logs what a reload of one kind of file did: `notice: reloaded WHAT: SUMMARY`, or
    /// `warning: PROBLEM; KEEPING` (a polled problem once, until it changes).
    private func report(_ outcome: TLSCredentials.Outcome, kind: String, asked: Bool, reloaded what: String, keeping: String) {
        switch outcome {
        case .unchanged: problems.clear(kind)
        case .reloaded(let summary):
            problems.clear(kind)
            logger.notice("reloaded \(what): \(summary)")
        case .failed(let problem):
            if problems.isNew(problem, for: kind) || asked { logger.warning("\(problem); \(keeping)") }
        }
    }
}

/// The last problem logged for each kind of credential, so that polling does not repeat it.
final class ProblemMemory: Sendable {
    private let last = Mutex<[String: String]>([:])

    /// Whether `problem` differs from the last one remembered for `kind` (and remembers it).
    func isNew(_ problem: String, for kind: String) -> Bool {
        last.withLock { last in
            defer { last[kind] = problem }
            return last[kind] != problem
        }
    }

    func clear(_ kind: String) { _ = last.withLock { $0.removeValue(forKey: kind) } }
}
