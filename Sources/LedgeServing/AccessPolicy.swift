internal import LedgeCore
internal import Synchronization

/// Who may call the server: with a token, every request must carry `Authorization: Bearer TOKEN`;
/// health probes (and, separately, metrics) may stay open so kubelet or Prometheus need no secret.
///
/// Transport-neutral: the HTTP adapter maps each request path to an ``Endpoint`` and asks
/// ``check(authorization:endpoint:)``; a gRPC adapter can do the same with its metadata.
/// Printed, dumped or logged (swift-service-lifecycle logs its services at debug level), it never shows the token.
public struct AccessPolicy: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What a request reaches, as far as access is concerned.
    public enum Endpoint: Sendable {
        /// Liveness and readiness probes (V2 `health/live|ready`, Seldon's `health/ping|status`).
        case health
        /// The Prometheus exposition (`GET /metrics`).
        case metrics
        /// Everything else: models, inference, the repository API, the web page.
        case protected
    }

    /// Why a request was refused: a one-line message and the `WWW-Authenticate` challenge (RFC 6750).
    public struct Denial: Sendable, Hashable {
        public var message: String
        public var challenge: String
    }

    /// The accepted tokens, shared by every copy of the policy (the HTTP and gRPC servers hold one
    /// each): ``replaceTokens(_:)`` reaches both at once.
    private let tokens: TokenList
    /// Health probes need no token.
    public let healthOpen: Bool
    /// `GET /metrics` needs no token.
    public let metricsOpen: Bool

    /// A policy requiring `token` (see ``problem(token:)``) except where opened.
    public init(token: String, healthOpen: Bool = true, metricsOpen: Bool = false) {
        self.init(tokens: [token], healthOpen: healthOpen, metricsOpen: metricsOpen)
    }

    /// A policy accepting any of `tokens` (several while clients move from an old token to a new one).
    public init(tokens: [String], healthOpen: Bool = true, metricsOpen: Bool = false) {
        self.tokens = TokenList(tokens)
        self.healthOpen = healthOpen
        self.metricsOpen = metricsOpen
    }

    public var description: String { "AccessPolicy(token: <redacted>, healthOpen: \(healthOpen), metricsOpen: \(metricsOpen))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["healthOpen": healthOpen, "metricsOpen": metricsOpen]) }

    /// Whether a request to `endpoint` whose `Authorization` field is `authorization` may proceed:
    /// `nil` when it may, else why not. The token is compared in constant time.
    public func check(authorization: String?, endpoint: Endpoint) -> Denial? {
        switch endpoint {
        case .health where healthOpen, .metrics where metricsOpen: return nil
        default: break
        }
        guard let authorization else {
            return Denial(message: "missing 'Authorization: Bearer TOKEN' header", challenge: #"Bearer realm="ledge""#)
        }
        let bytes = Array(authorization.utf8)
        let scheme = "bearer "
        guard bytes.count > scheme.utf8.count, String(decoding: bytes.prefix(scheme.utf8.count), as: UTF8.self).lowercased() == scheme else {
            return Denial(
                message: "the Authorization header must use the Bearer scheme: 'Authorization: Bearer TOKEN'",
                challenge: #"Bearer realm="ledge", error="invalid_request""#)
        }
        let presented = Array(bytes.dropFirst(scheme.utf8.count).drop { $0 == UInt8(ascii: " ") })
        guard tokens.accepts(presented) else {
            return Denial(message: "invalid bearer token", challenge: #"Bearer realm="ledge", error="invalid_token""#)
        }
        return nil
    }

    /// Accepts `tokens` from now on (each already checked with ``problem(token:)``); requests in
    /// flight keep the answer they got.
    public func replaceTokens(_ tokens: [String]) { self.tokens.replace(tokens) }

    /// Whether the policy accepts exactly `tokens`, in any order.
    public func holds(_ tokens: [String]) -> Bool { self.tokens.holds(tokens) }

    /// Equal bytes, in a time that depends only on the lengths (never on where they first differ).
    static func constantTimeEqual(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        for index in expected.indices {
            difference |= expected[index] ^ (index < presented.count ? presented[index] : 0)
        }
        return difference == 0
    }

    /// The shortest token accepted: shorter ones are guessable.
    public static let minimumTokenLength = 16

    /// What is wrong with a token, `nil` when nothing: it must be at least ``minimumTokenLength``
    /// characters of RFC 6750's `b64token` (`A-Z a-z 0-9 - . _ ~ + /`, then optional `=`).
    public static func problem(token: String) -> String? {
        let bytes = Array(token.utf8)
        guard bytes.count >= minimumTokenLength else {
            return "the token must be at least \(minimumTokenLength) characters, got \(bytes.count)"
        }
        let body = bytes.prefix { $0 != UInt8(ascii: "=") }
        let valid =
            !body.isEmpty && bytes.dropFirst(body.count).allSatisfy { $0 == UInt8(ascii: "=") }
            && body.allSatisfy { byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array("-._~+/".utf8).contains(byte)
            }
        return valid ? nil : "the token may hold only A-Z a-z 0-9 - . _ ~ + / and trailing '=' (RFC 6750 b64token)"
    }

    /// The tokens in `file`, one per line (blank lines and surrounding white space ignored), each
    /// checked with ``problem(token:)``. A missing file is named as `kind`; a bad token after `label`
    /// (with its line number when the file holds more than one line). `ledge serve` reads its
    /// `--auth-token-file` with this at start and on every reload; `deploy apply` reads its own.
    public static func readTokens(file: String, kind: String, label: String) throws -> [String] {
        let data = try CheckedFile.read(file, kind: kind, expected: "a file", code: .invalidInput)
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { String($0).trimmingWhitespaceAndNewlines() }
        let numbered = lines.enumerated().filter { !$0.element.isEmpty }
        guard !numbered.isEmpty else { throw LedgeError.invalidInput("\(label): \(problem(token: "") ?? "")") }
        for (index, token) in numbered {
            if let problem = problem(token: token) {
                throw LedgeError.invalidInput(numbered.count == 1 ? "\(label): \(problem)" : "\(label): line \(index + 1): \(problem)")
            }
        }
        return numbered.map(\.element)
    }
}

/// The tokens a policy accepts, behind a lock: read on every request, replaced on a reload.
private final class TokenList: Sendable {
    private let tokens: Mutex<[[UInt8]]>

    init(_ tokens: [String]) { self.tokens = Mutex(tokens.map { Array($0.utf8) }) }

    func replace(_ tokens: [String]) { self.tokens.withLock { $0 = tokens.map { Array($0.utf8) } } }

    func holds(_ tokens: [String]) -> Bool { self.tokens.withLock { Set($0) == Set(tokens.map { Array($0.utf8) }) } }

    /// Compares `presented` with every token, each in constant time, and never stops early.
    func accepts(_ presented: [UInt8]) -> Bool {
        tokens.withLock { tokens in
            var accepted = false
            for token in tokens where AccessPolicy.constantTimeEqual(presented, token) { accepted = true }
            return accepted
        }
    }
}
