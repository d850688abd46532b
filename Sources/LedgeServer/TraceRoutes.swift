#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Hummingbird
internal import LedgeCore
internal import LedgeServing

/// Triton's trace extension over HTTP: `GET`/`POST /v2/trace/setting` (global) and
/// `/v2/models/{model}/trace/setting` (one model's overrides), answering the settings in effect.
struct TraceRoutes: Sendable {
    let repository: ModelRepository
    let maxBodySize: Int

    func register<Context: RequestContext>(on router: Router<Context>, table: RouteTable) {
        router.on("/v2/trace/setting", method: .get, scope: .trace, recordingIn: table) { _, _ in
            Self.body(repository.tracing.settings(model: nil))
        }
        router.on("/v2/trace/setting", method: .post, scope: .trace, recordingIn: table) { request, _ in
            Self.body(try repository.tracing.update(model: nil, try Self.changes(try await request.collectBody(limit: maxBodySize))))
        }
        router.on("/v2/models/{model}/trace/setting", method: .get, scope: .trace, recordingIn: table) { _, context in
            Self.body(repository.tracing.settings(model: try model(context)))
        }
        router.on("/v2/models/{model}/trace/setting", method: .post, scope: .trace, recordingIn: table) { request, context in
            let name = try model(context)
            let changes = try Self.changes(try await request.collectBody(limit: maxBodySize))
            // As Triton: a model's update without settings removes the model's own, back to the global ones.
            return Self.body(changes.isEmpty ? repository.tracing.clear(model: name) : try repository.tracing.update(model: name, changes))
        }
    }

    /// The name of the served model the path names, else 400 for a bad name or 404.
    private func model(_ context: some RequestContext) throws -> String {
        try repository.model(named: context.decodedParameter("model") ?? "", version: nil).name
    }

    /// `{"trace_file":"…","trace_level":["TIMESTAMPS"],"trace_rate":"1000",…}`: `trace_level` a list, the others strings.
    static func body(_ settings: [String: [String]]) -> Response {
        var writer = JSONWriter(capacity: 192)
        writer.raw("{")
        for (i, name) in TraceSettings.names.enumerated() {
            if i > 0 { writer.raw(",") }
            writer.string(name)
            writer.raw(":")
            let values = settings[name] ?? []
            if name == "trace_level" {
                writer.raw("[")
                for (j, value) in values.enumerated() {
                    if j > 0 { writer.raw(",") }
                    writer.string(value)
                }
                writer.raw("]")
            } else {
                writer.string(values.first ?? "")
            }
        }
        writer.raw("}")
        return JSONResponse.make(data: Data(writer.bytes))
    }

    /// A `POST` body's changes: a JSON object whose values are strings, lists of strings, integers, or `null` (clear).
    static func changes(_ body: Data) throws -> TraceChanges {
        guard let fields = try? JSONDecoder().decode([String: Setting].self, from: body) else {
            throw ServerError.badRequest(
                #"the body must be a JSON object of trace settings, e.g. {"trace_level": ["TIMESTAMPS"], "trace_rate": "100"}"#)
        }
        var changes: TraceChanges = [:]
        for (key, setting) in fields {
            guard let value = setting.value else {
                throw ServerError.badRequest("trace setting '\(key)' must be a string, a list of strings, an integer or null")
            }
            changes[key] = value
        }
        return changes
    }

    /// One value of the body (`value` `nil`: of no accepted kind; `.some(nil)`: null, clear it).
    private struct Setting: Decodable {
        var value: [String]??

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = .some(nil)
            } else if let text = try? container.decode(String.self) {
                value = [text]
            } else if let number = try? container.decode(Int.self) {
                value = [String(number)]
            } else if let list = try? container.decode([String].self) {
                value = list
            }
        }
    }
}
