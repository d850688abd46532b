import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// `Authorization: Bearer TOKEN` on every route of the app (`.router`): 401 with `{"error"}` and a
/// `WWW-Authenticate: Bearer` challenge without it or with a wrong one; health probes and
/// `/metrics` open or closed as the policy says.
@Suite(.ownThread) struct AuthTests {
    static let token = "0123456789abcdef-test-token"

    static func withApp<T>(
        healthOpen: Bool = true, metricsOpen: Bool = false, _ body: @Sendable (any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, access: AccessPolicy(token: token, healthOpen: healthOpen, metricsOpen: metricsOpen))
        let app = buildApplication(configuration: configuration, repository: try TestServer.repository(), logger: TestServer.logger)
        return try await app.test(.router, body)
    }

    static func headers(_ authorization: String?, json: Bool = false) -> HTTPFields {
        var fields = HTTPFields()
        if let authorization { fields[.authorization] = authorization }
        if json { fields[.contentType] = "application/json" }
        return fields
    }

    static let addBody = ByteBuffer(
        string:
            #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
    )

    /// Every family of routes, and a path no route has: (method, path, body).
    static let protectedRoutes: [(HTTPRequest.Method, String, ByteBuffer?)] = [
        (.get, "/v2", nil), (.head, "/v2", nil), (.get, "/v2/models/add", nil), (.post, "/v2/models/add/infer", addBody),
        (.post, "/v2/models/efficientnet/classify", ByteBuffer(string: "not an image")), (.get, "/", nil),
        (.post, "/v2/repository/index", nil), (.post, "/api/v1.0/predictions", ByteBuffer(string: "{}")),
        (.get, "/no/such/path", nil), (.delete, "/v2/health/live/", nil), (.get, "/v2/health/live/", nil),
    ]

    @Test func everyRouteNeedsTheToken() async throws {
        try await Self.withApp { client in
            for (method, path, body) in Self.protectedRoutes {
                for (authorization, message, challenge) in [
                    (nil, "missing 'Authorization: Bearer TOKEN' header", #"Bearer realm="ledge""#),
                    ("Bearer wrong-token-0123456789", "invalid bearer token", #"Bearer realm="ledge", error="invalid_token""#),
                    ("Bearer " + Self.token + "x", "invalid bearer token", #"Bearer realm="ledge", error="invalid_token""#),
                    ("Bearer " + Self.token.dropLast(), "invalid bearer token", #"Bearer realm="ledge", error="invalid_token""#),
                    (
                        "Basic " + Self.token,
                        "the Authorization header must use the Bearer scheme: 'Authorization: Bearer TOKEN'",
                        #"Bearer realm="ledge", error="invalid_request""#
                    ),
                ] as [(String?, String, String)] {
                    try await client.execute(uri: path, method: method, headers: Self.headers(authorization), body: body) { response in
                        #expect(response.status == .unauthorized, "\(method) \(path) \(authorization ?? "-")")
                        #expect(response.headers[.wwwAuthenticate] == challenge, "\(method) \(path)")
                        if method != .head {
                            #expect(response.errorMessage == message, "\(method) \(path) \(authorization ?? "-")")
                        }
                    }
                }
            }
        }
    }

    @Test func theTokenOpensEveryRoute() async throws {
        try await Self.withApp { client in
            for authorization in ["Bearer " + Self.token, "bearer " + Self.token, "BEARER  " + Self.token] {
                try await client.execute(uri: "/v2", method: .get, headers: Self.headers(authorization)) { response in
                    #expect(response.status == .ok, "\(authorization)")
                }
            }
            let authorized = Self.headers("Bearer " + Self.token, json: true)
            try await client.execute(uri: "/v2/models/add/infer", method: .post, headers: authorized, body: Self.addBody) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""data":[2,3,4,5]"#))
            }
            try await client.execute(uri: "/", method: .get, headers: authorized) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/repository/index", method: .post, headers: authorized) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: authorized) { #expect($0.status == .ok) }
            // Past the token, the routes answer as before.
            try await client.execute(uri: "/no/such/path", method: .get, headers: authorized) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v2/health/live", method: .delete, headers: authorized) {
                #expect($0.status == .methodNotAllowed)
            }
        }
    }

    static let healthPaths = ["/v2/health/live", "/v2/health/ready", "/health/ping", "/health/status", "/api/v1.0/health/status"]

    @Test(arguments: [true, false])
    func healthProbesAreOpenOrClosedAsTheFlagSays(open: Bool) async throws {
        try await Self.withApp(healthOpen: open) { client in
            for path in Self.healthPaths {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == (open ? .ok : .unauthorized), "\(path)")
                }
                try await client.execute(uri: path, method: .get, headers: Self.headers("Bearer " + Self.token)) { response in
                    #expect(response.status == .ok, "\(path)")
                }
            }
            // /metrics has its own switch, closed by default.
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func metricsCanBeOpenedAlone() async throws {
        try await Self.withApp(healthOpen: false, metricsOpen: true) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("ledge_"))
            }
            try await client.execute(uri: "/v2/health/ready", method: .get) { response in
                #expect(response.status == .unauthorized)
                // The observer runs before the check: a refused request has an id (and an access line).
                #expect(response.headers[HTTPField.Name("X-Request-Id")!] != nil)
            }
        }
    }

    /// swift-service-lifecycle logs the application (its configuration included) at debug level.
    @Test func theTokenIsNeverPrinted() throws {
        let configuration = ServerConfiguration(port: 0, access: AccessPolicy(token: Self.token))
        let app = buildApplication(configuration: configuration, repository: try TestServer.repository(), logger: TestServer.logger)
        var dumped = ""
        dump(app, to: &dumped)
        let bytes = Array(Self.token.utf8).map(String.init).joined(separator: ", ")
        for text in [String(describing: app), String(reflecting: app), String(describing: configuration), dumped] {
            #expect(text.contains("AccessPolicy") || text.contains("healthOpen"), "\(text)")
            #expect(!text.contains(Self.token) && !text.contains(bytes), "\(text)")
        }
    }

    @Test func tokensAreCheckedForLengthAndCharacters() {
        #expect(AccessPolicy.problem(token: Self.token) == nil)
        #expect(AccessPolicy.problem(token: "abcdefghijklmnop==") == nil)
        #expect(AccessPolicy.problem(token: "short") == "the token must be at least 16 characters, got 5")
        let charset = "the token may hold only A-Z a-z 0-9 - . _ ~ + / and trailing '=' (RFC 6750 b64token)"
        #expect(AccessPolicy.problem(token: "abcdefgh ijklmnopq") == charset)
        #expect(AccessPolicy.problem(token: "abcdefgh=ijklmnopq") == charset)
        #expect(AccessPolicy.problem(token: "================") == charset)
        #expect(AccessPolicy.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!AccessPolicy.constantTimeEqual(Array("abd".utf8), Array("abc".utf8)))
        #expect(!AccessPolicy.constantTimeEqual(Array("abcd".utf8), Array("abc".utf8)))
        #expect(!AccessPolicy.constantTimeEqual([], Array("abc".utf8)))
    }
}
