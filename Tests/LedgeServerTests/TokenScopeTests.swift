import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgeServer
import LedgeServing
import Testing

/// Tokens limited to scopes (`TOKEN SCOPE,SCOPE…` in `--auth-token-file`): each reaches the routes
/// of its scopes and gets 403 with an `insufficient_scope` challenge elsewhere; an unlimited token
/// reaches everything; a path no route serves answers 404 to any accepted token.
@Suite struct TokenScopeTests {
    typealias Scope = AccessPolicy.Scope
    static let grants: [AccessPolicy.Grant] = [
        .init("unlimited-token-0123456789"),
        .init("inference-token-0123456789", scopes: [.inference]),
        .init("metadata-token-0123456789", scopes: [.metadata, .health]),
        .init("repository-token-0123456789", scopes: [.modelRepository]),
        .init("metrics-token-0123456789", scopes: [.metrics]),
    ]

    /// A route of each kind, the scope it needs (`nil`: none, any accepted token) and the status
    /// the route answers once past the token.
    static let routes: [(HTTPRequest.Method, String, ByteBuffer?, Scope?, HTTPResponse.Status)] = [
        (.get, "/v2/health/live", nil, .health, .ok), (.get, "/v2/health/ready", nil, .health, .ok),
        (.get, "/health/ping", nil, .health, .ok), (.get, "/api/v1.0/health/status", nil, .health, .ok),
        (.get, "/v2/models/add/ready", nil, .health, .ok), (.get, "/v2/models/add/versions/1/ready", nil, .health, .ok),
        (.get, "/v2", nil, .metadata, .ok), (.head, "/v2", nil, .metadata, .ok), (.get, "/v2/models/add", nil, .metadata, .ok),
        (.get, "/v2/models/add/config", nil, .metadata, .ok), (.get, "/", nil, .metadata, .ok),
        (.post, "/v2/models/add/infer", AuthTests.addBody, .inference, .ok),
        (.post, "/v2/models/add/versions/1/infer", AuthTests.addBody, .inference, .ok),
        (.post, "/v2/models/efficientnet/classify", ByteBuffer(string: "not an image"), .inference, .unsupportedMediaType),
        (.post, "/api/v1.0/predictions", ByteBuffer(string: "{}"), .inference, .badRequest),
        (.post, "/seldon/ns/add/api/v1.0/predictions", ByteBuffer(string: "{}"), .inference, .badRequest),
        (.post, "/v2/repository/index", nil, .modelRepository, .ok),
        (.post, "/v2/repository/models/no-such-model/unload", nil, .modelRepository, .badRequest),
        (.get, "/metrics", nil, .metrics, .ok), (.get, "/v2/models/stats", nil, .statistics, .ok),
        (.get, "/v2/models/add/versions/1/stats", nil, .statistics, .ok),
        (.get, "/no/such/path", nil, nil, .notFound), (.delete, "/v2/models/add", nil, nil, .methodNotAllowed),
    ]

    @Test func eachTokenReachesOnlyItsScopes() async throws {
        let configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, access: AccessPolicy(grants: Self.grants, healthOpen: false, metricsOpen: false))
        let app = buildApplication(configuration: configuration, repository: try TestServer.repository(), logger: TestServer.logger)
        try await app.test(.router) { client in
            for grant in Self.grants {
                for (method, path, body, scope, status) in Self.routes {
                    let headers = AuthTests.headers("Bearer " + grant.token, json: body != nil)
                    let allowed = scope == nil || grant.scopes?.contains(scope!) ?? true
                    try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
                        let label = "\(method) \(path) with \(grant.token)"
                        guard !allowed, let scope else {
                            #expect(response.status == status, "\(label): \(response.errorMessage ?? "")")
                            return
                        }
                        let limited = Scope.allCases.filter { grant.scopes?.contains($0) == true }.map(\.rawValue)
                        #expect(response.status == .forbidden, "\(label)")
                        #expect(
                            response.headers[.wwwAuthenticate] == #"Bearer realm="ledge", error="insufficient_scope", scope=""#
                                + scope.rawValue + #"""#, "\(label)")
                        if method != .head {
                            #expect(
                                response.errorMessage
                                    == "the bearer token may not use the \(scope.rawValue) API: it is limited to \(limited.joined(separator: ", "))",
                                "\(label)")
                        }
                    }
                }
            }
            // A wrong token is still a 401, whatever the route.
            try await client.execute(uri: "/v2/repository/index", method: .post, headers: AuthTests.headers("Bearer wrong-token-0123456789")) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    /// A route registered without a known scope fails closed: only an unlimited token passes.
    @Test func aRouteOfNoKnownScopeNeedsAnUnlimitedToken() {
        let routes = RouteTable()
        routes.record("/v2/models/{model}/infer", .post, scope: .inference)
        let endpoint = { (path: String, route: String?) in
            BearerAuthMiddleware<LedgeRequestContext>.endpoint(path: path, route: route, routes: routes)
        }
        #expect(endpoint("/v2/models/add/infer", "/v2/models/{model}/infer") == .api(.inference))
        #expect(endpoint("/v2/health/live", "/v2/health/live") == .health)
        #expect(endpoint("/v2/health/live/", "/v2/health/live") == .restricted)  // not the probe's exact path, and no scope recorded here
        #expect(endpoint("/no/such/path", nil) == .protected)
        #expect(endpoint("/metrics", "/metrics") == .metrics)
        #expect(endpoint("/metrics/", "/metrics") == .api(.metrics))
        #expect(endpoint("/v2/models/add/stats", "/v2/models/{model}/stats") == .restricted)
        let policy = AccessPolicy(grants: Self.grants)
        #expect(policy.check(authorization: "Bearer unlimited-token-0123456789", endpoint: .restricted) == nil)
        let denial = policy.check(authorization: "Bearer inference-token-0123456789", endpoint: .restricted)
        #expect(denial?.message == "the bearer token may not use this route: it is limited to inference")
        #expect(denial?.challenge == #"Bearer realm="ledge", error="insufficient_scope""#)
        #expect(denial?.forbidden == true)
        // Open probes and metrics need no token at all; a limited token outside them still passes there.
        let open = AccessPolicy(grants: Self.grants, healthOpen: true, metricsOpen: true)
        #expect(open.check(authorization: nil, endpoint: .health) == nil)
        #expect(open.check(authorization: nil, endpoint: .metrics) == nil)
        #expect(open.check(authorization: "Bearer inference-token-0123456789", endpoint: .metrics) == nil)
    }
}
