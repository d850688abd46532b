internal import LedgeCore
internal import Synchronization

/// Who may call the server: with a token, every request must carry `Authorization: Bearer TOKEN`;
/// health probes (and, separately, metrics) may stay open so kubelet or Prometheus need no secret.
/// A token may be limited to some APIs (``Scope``) and to some models (``Grant``).
///
/// Transport-neutral: the HTTP adapter maps the route a request matched to an ``Endpoint`` and
/// asks ``check(authorization:endpoint:model:)``; the gRPC service does the same per method.
/// Printed, dumped or logged (swift-service-lifecycle logs its services at debug level), it never shows the token.
public struct AccessPolicy: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What a request reaches, as far as access is concerned: the scope a limited token needs,
    /// whether it is a probe that `healthOpen` opens, and which models it reaches.
    public struct Endpoint: Sendable, Hashable {
        /// The scope a limited token needs; `nil`: only an unlimited token passes.
        public let scope: Scope?
        /// Reached by any accepted token, whatever its scopes (a path no route serves: 404 or 405).
        let anyToken: Bool
        /// A server probe (exact path), open when ``AccessPolicy/healthOpen``.
        let probe: Bool
        /// Which models the request reaches, for a token limited to some.
        public let reach: Reach

        /// Which models a request reaches.
        public enum Reach: Sendable, Hashable {
            /// None: the server's own health and metadata.
            case server
            /// The one model the request names.
            case model
            /// Every model, or one the server chooses: lists, the exposition, a request naming no model.
            case everyModel
        }

        /// Liveness and readiness probes (V2 `health/live|ready`, Seldon's `health/ping|status`).
        public static let health = Endpoint(scope: .health, anyToken: false, probe: true, reach: .server)
        /// A model's readiness probe (gRPC ModelReady), open with the server's probes.
        public static let modelHealth = Endpoint(scope: .health, anyToken: false, probe: true, reach: .model)
        /// The Prometheus exposition (`GET /metrics`), open when ``AccessPolicy/metricsOpen``.
        public static let metrics = Endpoint(scope: .metrics, anyToken: false, probe: false, reach: .everyModel)
        /// A path no route serves: any accepted token gets the router's answer (404 or 405).
        public static let protected = Endpoint(scope: nil, anyToken: true, probe: false, reach: .server)
        /// A route of no known scope: only an unlimited token passes (a route added without one fails closed).
        public static let restricted = Endpoint(scope: nil, anyToken: false, probe: false, reach: .everyModel)
        /// A route of the API of `scope` that reaches `reach`.
        public static func api(_ scope: Scope, reach: Reach) -> Endpoint { Endpoint(scope: scope, anyToken: false, probe: false, reach: reach) }
    }

    /// Why a request was refused: a one-line message and the `WWW-Authenticate` challenge (RFC 6750).
    public struct Denial: Sendable, Hashable {
        public var message: String
        public var challenge: String
        /// The token was accepted but does not reach the endpoint: 403 (gRPC PERMISSION_DENIED), not 401.
        public var forbidden: Bool = false
    }

    /// The accepted tokens, shared by every copy of the policy (the HTTP and gRPC servers hold one
    /// each): ``replaceGrants(_:)`` reaches both at once.
    private let tokens: TokenList
    /// Health probes need no token.
    public let healthOpen: Bool
    /// `GET /metrics` needs no token.
    public let metricsOpen: Bool

    /// A policy requiring `token` (see ``problem(token:)``) except where opened.
    public init(token: String, healthOpen: Bool = true, metricsOpen: Bool = false) {
        self.init(tokens: [token], healthOpen: healthOpen, metricsOpen: metricsOpen)
    }

    /// A policy accepting any of `tokens`, each unlimited (several while clients move from an old token to a new one).
    public init(tokens: [String], healthOpen: Bool = true, metricsOpen: Bool = false) {
        self.init(grants: tokens.map { Grant($0) }, healthOpen: healthOpen, metricsOpen: metricsOpen)
    }

    /// A policy accepting the tokens of `grants`, each within its scopes.
    public init(grants: [Grant], healthOpen: Bool = true, metricsOpen: Bool = false) {
        self.tokens = TokenList(grants)
        self.healthOpen = healthOpen
        self.metricsOpen = metricsOpen
    }

    public var description: String { "AccessPolicy(token: <redacted>, healthOpen: \(healthOpen), metricsOpen: \(metricsOpen))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["healthOpen": healthOpen, "metricsOpen": metricsOpen]) }

    /// Whether a request to `endpoint` (naming `model`, when its reach is one model) whose
    /// `Authorization` field is `authorization` may proceed: `nil` when it may, else why not. The
    /// token is compared in constant time.
    public func check(authorization: String?, endpoint: Endpoint, model: String? = nil) -> Denial? {
        if (endpoint.probe && healthOpen) || (endpoint == .metrics && metricsOpen) { return nil }
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
        guard let grant = tokens.grant(of: presented) else {
            return Denial(message: "invalid bearer token", challenge: #"Bearer realm="ledge", error="invalid_token""#)
        }
        if endpoint.anyToken { return nil }  // no route to limit: the router's 404 or 405
        if let scopes = grant.scopes, !(endpoint.scope.map(scopes.contains) ?? false) {
            let limited = Scope.allCases.filter(scopes.contains).map(\.rawValue).joined(separator: ", ")
            let what = endpoint.scope.map { "the \($0.rawValue) API" } ?? "this route"
            return Self.forbidden("the bearer token may not use \(what): it is limited to \(limited)", scope: endpoint.scope)
        }
        guard let models = grant.models else { return nil }
        let limited = models.sorted().joined(separator: ", ")
        switch endpoint.reach {
        case .server: return nil
        case .model:
            if let model, models.contains(model) { return nil }
            return Self.forbidden("the bearer token may not use model '\(model ?? "")': it is limited to models \(limited)", scope: nil)
        case .everyModel:
            return Self.forbidden("the bearer token is limited to models \(limited): this route reaches every model", scope: nil)
        }
    }

    /// 403 (gRPC PERMISSION_DENIED) with RFC 6750's `insufficient_scope` challenge.
    private static func forbidden(_ message: String, scope: Scope?) -> Denial {
        Denial(
            message: message,
            challenge: #"Bearer realm="ledge", error="insufficient_scope""# + (scope.map { #", scope=""# + $0.rawValue + #"""# } ?? ""),
            forbidden: true)
    }

    /// Accepts the tokens of `grants` from now on (each already checked with ``problem(token:)``);
    /// requests in flight keep the answer they got.
    public func replaceGrants(_ grants: [Grant]) { self.tokens.replace(grants) }

    /// Whether the policy holds exactly `grants`, in any order.
    public func holds(_ grants: [Grant]) -> Bool { self.tokens.holds(grants) }

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
}

/// The tokens a policy accepts and their limits, behind a lock: read on every request, replaced on a reload.
private final class TokenList: Sendable {
    private let grants: Mutex<[(token: [UInt8], grant: AccessPolicy.Grant)]>

    init(_ grants: [AccessPolicy.Grant]) { self.grants = Mutex(grants.map { (Array($0.token.utf8), $0) }) }

    func replace(_ grants: [AccessPolicy.Grant]) { self.grants.withLock { $0 = grants.map { (Array($0.token.utf8), $0) } } }

    func holds(_ grants: [AccessPolicy.Grant]) -> Bool { self.grants.withLock { held in Set(held.map(\.grant)) == Set(grants) } }

    /// The grant whose token equals `presented`, `nil` when none does.
    /// Compares `presented` with every token, each in constant time, and never stops early.
    func grant(of presented: [UInt8]) -> AccessPolicy.Grant? {
        grants.withLock { grants in
            var found: AccessPolicy.Grant?
            for held in grants where AccessPolicy.constantTimeEqual(presented, held.token) { found = held.grant }
            return found
        }
    }
}
