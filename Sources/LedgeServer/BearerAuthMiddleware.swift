internal import HTTPTypes
internal import Hummingbird
internal import LedgeServing

/// Refuses requests without the bearer token of ``AccessPolicy``: 401, `{"error": "…"}` and a
/// `WWW-Authenticate: Bearer …` challenge; a limited token outside its scopes gets 403 and an
/// `insufficient_scope` challenge. Added before every route (and so before the router's
/// not-found answer), it covers V2, the image endpoint, the web page, the repository API and Seldon.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: AccessPolicy
    let routes: RouteTable

    /// A route's endpoint: by the route the router matched (`route`, its `endpointPath`; `nil` when
    /// none did), so a path the router reads as a route's needs that route's scope; with the path
    /// parameter that names its model, if any. Only the exact probe paths are probes: a path that
    /// merely resembles one stays closed.
    static func endpoint(path: String, route: String?, routes: RouteTable) -> (AccessPolicy.Endpoint, modelParameter: String?) {
        if probePaths.contains(path) { return (.health, nil) }
        guard let route else { return (.protected, nil) }
        if route == "/metrics" { return (path == "/metrics" ? .metrics : .api(.metrics, reach: .everyModel), nil) }
        guard let access = routes.access(ofRoute: route) else { return (.restricted, nil) }
        return (.api(access.scope, reach: access.reach), access.modelParameter)
    }

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let (endpoint, parameter) = Self.endpoint(path: request.uri.path, route: context.endpointPath, routes: routes)
        let model = parameter.flatMap { context.decodedParameter($0) }
        guard let denial = policy.check(authorization: request.headers[.authorization], endpoint: endpoint, model: model) else {
            return try await next(request, context)
        }
        var response = JSONResponse.error(ServerError(denial.forbidden ? .forbidden : .unauthorized, denial.message))
        response.headers[.wwwAuthenticate] = denial.challenge
        return response
    }
}

/// Probe paths, compared exactly: a path that merely resembles one stays protected.
/// (Built once: a generic type cannot keep a static constant, and a computed set was
/// rebuilt on every request.)
private let probePaths: Set<String> = [
    "/v2/health/live", "/v2/health/ready", "/health/ping", "/health/status", "/api/v1.0/health/status",
]
