#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import Hummingbird
internal import LedgeCore

/// The web page at `/` and the model repository extension it lists models with.
struct WebRoutes: Sendable {
    let repository: ModelRepository

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        router.on("/", method: .get, recordingIn: table) { _, _ in
            JSONResponse.make(data: Data(WebPage.html.utf8), contentType: "text/html; charset=utf-8")
        }
        router.on("/v2/repository/index", method: .post, recordingIn: table) { request, _ in try await index(request) }
    }

    /// One entry of `POST /v2/repository/index`, as Triton's model repository extension has it.
    struct IndexEntry: Encodable, Sendable {
        var name: String
        var version: String
        var state: String
        /// Why the model is UNAVAILABLE; absent for READY models.
        var reason: String?
    }

    /// Every model with its version and state, in name order: served ones
    /// READY, ones that failed to load UNAVAILABLE with the reason. The body is
    /// empty or `{"ready": true|false}`; `{"ready": true}` lists only READY ones.
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
        var entries = repository.names.compactMap { repository.models[$0] }
            .map { IndexEntry(name: $0.name, version: $0.version, state: "READY") }
        if !(ready ?? false) {
            // As Triton lists them: a model that failed to load is UNAVAILABLE, with the reason.
            entries += repository.failures.map { IndexEntry(name: $0.name, version: "1", state: "UNAVAILABLE", reason: $0.error.message) }
            entries.sort { $0.name < $1.name }
        }
        return try JSONResponse.make(entries)
    }
}
