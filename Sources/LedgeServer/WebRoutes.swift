#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import Hummingbird
internal import LedgeCore
internal import LedgeServing

/// The web page at `/` and the model repository extension (index, load, unload).
struct WebRoutes: Sendable {
    let repository: ModelRepository

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        router.on("/", method: .get, scope: .metadata, recordingIn: table) { _, _ in
            JSONResponse.make(data: Data(WebPage.html.utf8), contentType: "text/html; charset=utf-8")
        }
        router.on("/v2/repository/index", method: .post, scope: .modelRepository, recordingIn: table) { request, _ in try await index(request) }
        router.on("/v2/repository/models/{model}/load", method: .post, scope: .modelRepository, recordingIn: table) { _, context in
            try await repository.load(try name(context))
            return JSONResponse.make(data: Data("{}".utf8))
        }
        router.on("/v2/repository/models/{model}/unload", method: .post, scope: .modelRepository, recordingIn: table) { _, context in
            try await repository.unload(try name(context))
            return JSONResponse.make(data: Data("{}".utf8))
        }
    }

    /// The model named by the path.
    private func name(_ context: some RequestContext) throws -> String {
        context.decodedParameter("model") ?? ""
    }

    /// Every model with its versions and states (see ``ModelRepository/index(readyOnly:)``).
    /// The body is empty or `{"ready": true|false}`; `{"ready": true}` lists only READY ones.
    private func index(_ request: Request) async throws -> Response {
        var request = request
        let limit = 1 << 16
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServerError(.contentTooLarge, "repository index request body exceeds \(limit) bytes: expected {\"ready\": true} or nothing")
        }
        var ready: Bool?
        if body.readableBytes > 0 {
            struct Options: Decodable { var ready: Bool? }
            guard let options = try? JSONDecoder().decode(Options.self, from: Data(body.readableBytesView)) else {
                throw ServerError.badRequest("malformed repository index request: expected a JSON object like {\"ready\": true}")
            }
            ready = options.ready
        }
        return try JSONResponse.make(repository.index(readyOnly: ready ?? false))
    }
}
