internal import Hummingbird
internal import LedgeServing

/// The routes' paths and methods, recorded as they are registered, so a path that exists under
/// another method gets 405 with `Allow` instead of the router's 404; and each route's access scope.
/// (Hummingbird's RouterResponder sends *every* miss, path or method, to the same NotFoundResponder.)
final class RouteTable: @unchecked Sendable {  // filled before the server starts, read-only after
    private var routes: [(segments: [Substring], methods: Set<HTTPRequest.Method>)] = []
    private var access: [String: Access] = [:]

    /// What a limited token needs for a route: its scope, and which models it reaches (for a model,
    /// the path parameter that names it).
    struct Access: Equatable {
        var scope: AccessPolicy.Scope
        var reach: AccessPolicy.Endpoint.Reach
        var modelParameter: String?
    }

    /// The access of the route registered as `path` (the router's `endpointPath`); `nil` for none.
    func access(ofRoute path: String) -> Access? { access[path] }

    func record(_ path: String, _ method: HTTPRequest.Method, access: Access) {
        precondition(self.access[path] == nil || self.access[path] == access, "route \(path) registered with two accesses")
        self.access[path] = access
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
                if pattern.hasPrefix("{"), let close = pattern.firstIndex(of: "}") {
                    let suffix = pattern[pattern.index(after: close)...]  // "{model}:predict" matches "add:predict"
                    return suffix.isEmpty || (part.hasSuffix(suffix) && part.count > suffix.count)
                }
                return pattern.hasPrefix(":") || pattern == "*" || pattern == part
            }
            if matches { found = (found ?? []).union(route.methods) }
        }
        return found
    }
}

extension Router {
    /// `router.on(path, method:)` that also records the route in `table`, with what a limited token
    /// needs for it: `scope`, and the models it reaches — the one its `{modelParameter}` names when
    /// the path has one, else `reach` (default: every model, which a token limited to models
    /// cannot use; the server's own health and metadata routes say `.server`).
    @discardableResult
    func on(
        _ path: String, method: HTTPRequest.Method, scope: AccessPolicy.Scope, reach: AccessPolicy.Endpoint.Reach = .everyModel,
        modelParameter: String = "model", recordingIn table: RouteTable,
        use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> Self {
        let names = path.contains("{\(modelParameter)}")
        let access = RouteTable.Access(scope: scope, reach: names ? .model : reach, modelParameter: names ? modelParameter : nil)
        table.record(path, method, access: access)
        if method == .get { table.record(path, .head, access: access) }  // HEAD answers every GET route
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
