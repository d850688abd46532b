import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgeServer
import LedgeServing
import LedgeTesting
import Testing

/// Tokens limited to scopes (`TOKEN SCOPE,SCOPE…` in `--auth-token-file`): each reaches the routes
/// of its scopes and gets 403 with an `insufficient_scope` challenge elsewhere; an unlimited token
/// reaches everything; a path no route serves answers 404 to any accepted token.
@Suite(.ownThread) struct TokenScopeTests {
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
        (.get, "/v2/logging", nil, .logging, .notImplemented),
        (.get, "/v2/systemsharedmemory/status", nil, .sharedMemory, .badRequest),  // off on this server
        (.post, "/v2/cudasharedmemory/unregister", nil, .sharedMemory, .ok),
        (.get, "/v2/models/add/versions/1/stats", nil, .statistics, .ok),
        (.get, "/v2/trace/setting", nil, .trace, .ok), (.post, "/v2/models/add/trace/setting", ByteBuffer(string: "{}"), .trace, .ok),
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

    /// A token limited to models reaches the routes that name one of them, and the server's own
    /// health and metadata; not other models, nor routes that reach every model.
    @Test func aTokenLimitedToModels() async throws {
        let token = "add-only-token-0123456789"
        let configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0,
            access: AccessPolicy(grants: [.init(token, models: ["add", "efficientnet"])], healthOpen: false))
        let app = buildApplication(configuration: configuration, repository: try TestServer.repository(), logger: TestServer.logger)
        let limited = "the bearer token is limited to models add, efficientnet: this route reaches every model"
        let other = "the bearer token may not use model 'gen': it is limited to models add, efficientnet"
        try await app.test(.router) { client in
            for (method, path, body, status, message) in [
                (HTTPRequest.Method.get, "/v2/health/ready", nil, HTTPResponse.Status.ok, nil), (.get, "/v2", nil, .ok, nil),
                (.get, "/v2/models/add", nil, .ok, nil), (.get, "/v2/models/%61dd/ready", nil, .ok, nil),
                (.post, "/v2/models/add/infer", AuthTests.addBody, .ok, nil), (.get, "/v2/models/add/stats", nil, .ok, nil),
                (.post, "/seldon/ns/add/api/v1.0/predictions", ByteBuffer(string: "{}"), .badRequest, nil),
                (.post, "/seldon/add/api/v1.0/predictions", ByteBuffer(string: "{}"), .badRequest, nil),
                (.get, "/v2/models/gen", nil, .forbidden, other), (.post, "/v2/models/gen/infer", AuthTests.addBody, .forbidden, other),
                (.post, "/v2/repository/models/gen/unload", nil, .forbidden, other),
                (.post, "/seldon/gen/api/v1.0/predictions", ByteBuffer(string: "{}"), .forbidden, other),
                (.get, "/v2/models/stats", nil, .forbidden, limited), (.post, "/v2/repository/index", nil, .forbidden, limited),
                (.get, "/metrics", nil, .forbidden, limited), (.get, "/", nil, .forbidden, limited),
                (.get, "/v2/models/add/trace/setting", nil, .ok, nil), (.get, "/v2/models/gen/trace/setting", nil, .forbidden, other),
                (.post, "/v2/trace/setting", ByteBuffer(string: "{}"), .forbidden, limited),
                (.post, "/api/v1.0/predictions", ByteBuffer(string: "{}"), .forbidden, limited),
            ] as [(HTTPRequest.Method, String, ByteBuffer?, HTTPResponse.Status, String?)] {
                let headers = AuthTests.headers("Bearer " + token, json: body != nil)
                try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(method) \(path): \(response.errorMessage ?? "")")
                    if let message {
                        #expect(response.errorMessage == message, "\(method) \(path)")
                        #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="ledge", error="insufficient_scope""#)
                    }
                }
            }
        }
    }

    /// A route registered without a known scope fails closed: only an unlimited token passes.
    @Test func aRouteOfNoKnownScopeNeedsAnUnlimitedToken() {
        let routes = RouteTable()
        routes.record("/v2/models/{model}/infer", .post, access: .init(scope: .inference, reach: .model, modelParameter: "model"))
        let endpoint = { (path: String, route: String?) in
            BearerAuthMiddleware<LedgeRequestContext>.endpoint(path: path, route: route, routes: routes).0
        }
        #expect(endpoint("/v2/models/add/infer", "/v2/models/{model}/infer") == .api(.inference, reach: .model))
        #expect(
            BearerAuthMiddleware<LedgeRequestContext>.endpoint(path: "/v2/models/add/infer", route: "/v2/models/{model}/infer", routes: routes).1
                == "model")
        #expect(endpoint("/v2/health/live", "/v2/health/live") == .health)
        #expect(endpoint("/v2/health/live/", "/v2/health/live") == .restricted)  // not the probe's exact path, and no scope recorded here
        #expect(endpoint("/no/such/path", nil) == .protected)
        #expect(endpoint("/metrics", "/metrics") == .metrics)
        #expect(endpoint("/metrics/", "/metrics") == .api(.metrics, reach: .everyModel))
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
