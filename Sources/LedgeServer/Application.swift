#if canImport(Glibc)
internal import Glibc
#endif
public import LedgeServing
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import Hummingbird
internal import HummingbirdCore
public import Logging
internal import NIOCore
internal import NIOHTTP1

/// Builds the server: the V2 REST routes and the image endpoint over the
/// models of `repository`. The `ledge serve` command and the tests share it;
/// running it listens through ``HTTPListener`` (see ``LedgeApplication``).
public func buildApplication(
    configuration: ServerConfiguration, repository: ModelRepository,
    logger: Logger
) -> some ApplicationProtocol {
    let router = Router(context: LedgeRequestContext.self)
    let routes = RouteTable()
    Observability.install(on: router, repository: repository)
    // Before every route, /metrics included: a route only gets the middleware added before it.
    if let access = configuration.access { router.add(middleware: BearerAuthMiddleware(policy: access, routes: routes)) }
    Observability.addMetricsRoute(on: router, repository: repository)
    router.add(middleware: JSONErrorMiddleware(routes: routes))
    V2Routes(repository: repository, configuration: configuration).register(on: router, table: routes)
    WebRoutes(repository: repository, maxBodySize: configuration.maxBodySize).register(on: router, table: routes)
    SeldonRoutes(repository: repository, configuration: configuration).register(on: router, table: routes)
    V1Routes(repository: repository, configuration: configuration).register(on: router, table: routes)
    SharedMemoryRoutes(registry: repository.sharedMemory, maxBodySize: configuration.maxBodySize).register(on: router, table: routes)
    TraceRoutes(repository: repository, maxBodySize: configuration.maxBodySize).register(on: router, table: routes)
    let onRunning = configuration.onServerRunning
    let limits = configuration.limits
    let budget =
        configuration.connectionBudget ?? (try? ConnectionBudget.forProcess(requested: limits.maxConnections))?.budget
        ?? ConnectionBudget(limit: ConnectionBudget.minimumConnections)
    let http1 = HTTP1Channel.Configuration(
        idleTimeout: nil,  // the guard's deadlines (408 with a JSON body) replace Hummingbird's silent one
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: limits.maxHeaderSize, maxHeaderListSize: limits.maxHeaderSize,
            maxHeaderFieldCount: ConnectionLimits.maxHeaderFieldCount))
    return LedgeApplication(
        responder: FinishingResponder(base: router.buildResponder()), http1: http1,
        guardConfiguration: HTTPGuardConfiguration(limits, maxBodySize: configuration.maxBodySize),
        settings: configuration, budget: budget, logger: logger,
        running: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) })
}

/// Answers every error a route throws with its status and `{"error": "…"}`;
/// the router's 404 for a path that is a route under other methods becomes 405.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            if error.status == .notFound, let response = routes.methodNotAllowed(request) { return response }
            return JSONResponse.error(ServerError(error.status, error.body ?? error.status.reasonPhrase))
        } catch let error as HTTPParserError {
            // A body read the guard failed (e.g. the client closed before Content-Length was reached).
            return JSONResponse.error(
                ServerError.decoding(error, sawTransferEncoding: false, sawContentLength: false)
                    ?? ServerError.badRequest("malformed request"))
        } catch let error as IOError where [ECONNRESET, EPIPE].contains(error.errnoCode) {
            // The client reset the connection while its body was read (killed mid-upload, a broken link): its
            // doing, not the server's. Nothing can answer it; the access line records a 400.
            context.logger.debug("\(request.method) \(request.uri.path): the client closed the connection: \(error)")
            return JSONResponse.error(.requestCutShort)
        } catch {
            let failure = ServerError.from(error)
            // A full queue (503) is load, not a fault: the access line records it; real 5xx are errors.
            if failure.status.code >= 500 && failure.status != .serviceUnavailable {
                context.logger.error("\(request.method) \(request.uri.path): \(failure.message)")
            }
            return JSONResponse.error(failure)
        }
    }
}

/// What every response gets after the router: `HEAD` on every `GET` route
/// (RFC 9110 §9.3.2: routed as `GET`, since the router resolves routes before its
/// middleware runs, and answered with the same status and headers, Content-Length
/// included, and no body), and compression when asked (``ResponseCompression``).
/// A wrapper rather than a middleware: no layer more per request on the hot routes.
struct FinishingResponder<Base: HTTPResponder>: HTTPResponder {
    let base: Base

    func respond(to request: Request, context: Base.Context) async throws -> Response {
        guard request.method == .head else {
            return try await ResponseCompression.apply(to: base.respond(to: request, context: context), for: request)
        }
        var head = request.head
        head.method = .get
        let routed = Request(head: head, body: request.body)
        return try await ResponseCompression.apply(to: base.respond(to: routed, context: context), for: routed).createHeadResponse()
    }
}

/// JSON responses.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return make(data: try encoder.encode(value), status: status)
    }

    static func make(data: Data, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ error: ServerError) -> Response {
        make(data: errorBody(error.message), status: error.status)
    }

    /// `{"error": "…"}`.
    static func errorBody(_ message: String) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(["error": message])) ?? Data(#"{"error":"internal error"}"#.utf8)
    }
}
