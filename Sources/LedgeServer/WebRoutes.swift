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
    /// `--max-body-size`: what a load with files may carry.
    let maxBodySize: Int

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        router.on("/", method: .get, scope: .metadata, recordingIn: table) { _, _ in
            JSONResponse.make(data: Data(WebPage.html.utf8), contentType: "text/html; charset=utf-8")
        }
        router.on("/v2/repository/index", method: .post, scope: .modelRepository, recordingIn: table) { request, _ in try await index(request) }
        router.on("/v2/repository/models/{model}/load", method: .post, scope: .modelRepository, recordingIn: table) { request, context in
            // At most --max-body-size: a load may carry the model's files.
            let parameters = try Self.parameters(try await request.collectBody(limit: maxBodySize), action: "load")
            try await repository.load(
                try name(context), parameters: parameters,
                config: { value in
                    guard case .string(let text) = value else {
                        throw ServerError.badRequest("load parameter 'config' is \(value.kind): expected the model's configuration as a JSON string")
                    }
                    return text
                },
                file: { key, value in
                    guard case .string(let text) = value, let bytes = Data(base64Encoded: text) else {
                        throw ServerError.badRequest("load parameter '\(key)' is not a base64 string: expected the file's bytes in base64")
                    }
                    return bytes
                })
            return JSONResponse.make(data: Data("{}".utf8))
        }
        router.on("/v2/repository/models/{model}/unload", method: .post, scope: .modelRepository, recordingIn: table) { request, context in
            let body = try await Self.smallBody(
                request, tooLarge: "unload request body exceeds \(Self.smallBodyLimit) bytes: expected {\"parameters\": {}} or nothing")
            try ModelRepository.refuseParameters(try Self.parameters(Data(body.readableBytesView), action: "unload").keys, action: "unload")
            try await repository.unload(try name(context))
            return JSONResponse.make(data: Data("{}".utf8))
        }
    }

    /// The model named by the path.
    private func name(_ context: some RequestContext) throws -> String {
        context.decodedParameter("model") ?? ""
    }

    /// The most the repository extension's requests may carry.
    static let smallBodyLimit = 1 << 16

    /// The body of a repository request, at most ``smallBodyLimit`` bytes, else 413 with `tooLarge`.
    private static func smallBody(_ request: Request, tooLarge: String) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: smallBodyLimit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServerError(.contentTooLarge, tooLarge)
        }
    }

    /// A load or unload request's `parameters` (Triton's `config` and `file:…`; Triton's
    /// `unload_dependents`): the body is empty or `{"parameters": {…}}`.
    private static func parameters(_ body: Data, action: String) throws -> [String: JSONValue] {
        guard !body.isEmpty else { return [:] }
        guard case .object(let members)? = body.withUnsafeBytes({ JSONParser.parse($0) }), members.keys.allSatisfy({ $0 == "parameters" }) else {
            throw ServerError.badRequest("malformed \(action) request: expected nothing or a JSON object like {\"parameters\": {}}")
        }
        switch members["parameters"] {
        case nil, .null?: return [:]
        case .object(let parameters)?: return parameters
        default: throw ServerError.badRequest("malformed \(action) request: 'parameters' is no object")
        }
    }

    /// Every model with its versions and states (see ``ModelRepository/index(readyOnly:)``).
    /// The body is empty or `{"ready": true|false}`; `{"ready": true}` lists only READY ones.
    private func index(_ request: Request) async throws -> Response {
        let body = try await Self.smallBody(
            request, tooLarge: "repository index request body exceeds \(Self.smallBodyLimit) bytes: expected {\"ready\": true} or nothing")
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
