internal import Hummingbird
internal import LedgeServing

/// The routes' paths and methods, recorded as they are registered, so a path that exists under
/// another method gets 405 with `Allow` instead of the router's 404; and each route's access scope.
/// (Hummingbird's RouterResponder sends *every* miss, path or method, to the same NotFoundResponder.)
final class RouteTable: @unchecked Sendable {  // filled before the server starts, read-only after
    private var routes: [(segments: [Substring], methods: Set<HTTPRequest.Method>)] = []
    private var scopes: [String: AccessPolicy.Scope] = [:]

    /// The scope of the route registered as `path` (the router's `endpointPath`); `nil` for none.
    func scope(ofRoute path: String) -> AccessPolicy.Scope? { scopes[path] }

    func record(_ path: String, _ method: HTTPRequest.Method, scope: AccessPolicy.Scope) {
        precondition(scopes[path] == nil || scopes[path] == scope, "route \(path) registered under two scopes")
        scopes[path] = scope
        record(path, method)
    }

    private func record(_ path: String, _ method: HTTPRequest.Method) {
        let segments = path.split(separator: "/")
        if let index = routes.firstIndex(where: { $0.segments == segments }) {
            routes[index].methods.insert(method)
        } else {
            routes.append((segments, [method]))
        }
    }

    /// The methods allowed on `path`, or nil when no route matches it.
    func methods(for path: String) -> Set<HTTPRequest.Method>? {
        let parts = path.split(separator: "/")
        var found: Set<HTTPRequest.Method>?
        for route in routes where route.segments.count == parts.count {
            let matches = zip(route.segments, parts).allSatisfy { pattern, part in
                (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern.hasPrefix(":") || pattern == "*" || pattern == part
            }
            if matches { found = (found ?? []).union(route.methods) }
        }
        return found
    }
}

extension Router {
    /// `router.on(path, method:)` that also records the route, and the scope a limited token needs
    /// for it, in `table`.
    @discardableResult
    func on(
        _ path: String, method: HTTPRequest.Method, scope: AccessPolicy.Scope, recordingIn table: RouteTable,
        use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> Self {
        table.record(path, method, scope: scope)
        if method == .get { table.record(path, .head, scope: scope) }  // HEAD answers every GET route
        return self.on(RouterPath(path), method: method, use: handler)
    }
}

extension RouteTable {
    /// 405 with `Allow` when `request`'s path is a route under other methods; `nil` when it is no route.
    func methodNotAllowed(_ request: Request) -> Response? {
        guard let allowed = methods(for: request.uri.path), !allowed.contains(request.method) else { return nil }
        let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        var response = JSONResponse.error(
            ServerError(.methodNotAllowed, "method \(request.method.rawValue) not allowed on \(request.uri.path): expected \(allow)"))
        response.headers[.allow] = allow
        return response
    }
}
