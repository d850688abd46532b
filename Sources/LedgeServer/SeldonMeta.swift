internal import LedgeCore
internal import LedgeServing

/// The `meta` of a Seldon answer, as the Python wrapper builds it from the
/// request's: `puid` echoed when given (the wrapper makes none up), `tags` and
/// `metrics` echoed, and `requestPath` naming the model that answered (model
/// name → `ledge:VERSION`, where the wrapper puts its container image) merged
/// with the request's, whose entries win. Empty parts are left out, as there.
struct SeldonMeta: Sendable {
    var puid: String?
    var tags: [String: JSONValue] = [:]
    var metrics: [JSONValue] = []
    var requestPath: [String: String] = [:]

    /// The answer's meta for request meta `request`, answered by `model`.
    init(request: [String: JSONValue], model: String, server: String) throws {
        switch request["puid"] {
        case nil, .null?: break
        case .string(let puid)?: self.puid = puid.isEmpty ? nil : puid
        case let other?: throw LedgeError.invalidInput("field 'meta.puid' is \(other.kind): expected a string")
        }
        switch request["tags"] {
        case nil, .null?: break
        case .object(let tags)?: self.tags = tags
        case let other?: throw LedgeError.invalidInput("field 'meta.tags' is \(other.kind): expected an object")
        }
        switch request["metrics"] {
        case nil, .null?: break
        case .array(let metrics)?: self.metrics = metrics
        case let other?: throw LedgeError.invalidInput("field 'meta.metrics' is \(other.kind): expected an array")
        }
        requestPath[model] = "ledge:\(server)"
        switch request["requestPath"] {
        case nil, .null?: break
        case .object(let path)?:
            for (key, value) in path {
                guard case .string(let text) = value else {
                    throw LedgeError.invalidInput("field 'meta.requestPath.\(key)' is \(value.kind): expected a string")
                }
                requestPath[key] = text
            }
        case let other?: throw LedgeError.invalidInput("field 'meta.requestPath' is \(other.kind): expected an object")
        }
    }

    /// `{"metrics": …, "puid": …, "requestPath": …, "tags": …}`, keys sorted, empty parts left out.
    func write(into json: inout SeldonJSON) {
        var parts: [(String, JSONValue)] = []
        if !metrics.isEmpty { parts.append(("metrics", .array(metrics))) }
        if let puid { parts.append(("puid", .string(puid))) }
        if !requestPath.isEmpty { parts.append(("requestPath", .object(requestPath.mapValues(JSONValue.string)))) }
        if !tags.isEmpty { parts.append(("tags", .object(tags))) }
        json.value(.object(Dictionary(uniqueKeysWithValues: parts)))
    }
}

extension SeldonJSON {
    /// Any JSON value, object keys sorted.
    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): raw(flag ? "true" : "false")
        case .number(let number):
            var writer = JSONWriter(capacity: 24)
            writer.float(number)
            raw(String(decoding: writer.bytes, as: UTF8.self))
        case .int(let int): raw(String(int))
        case .uint(let uint): raw(String(uint))
        case .string(let text): string(text)
        case .array(let items): array(items) { $0.value($1) }
        case .numbers(let packed): array((0..<packed.count).map(packed.element)) { $0.value($1) }
        case .object(let fields):
            raw("{")
            for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { raw(",") }
                string(field.key)
                raw(":")
                self.value(field.value)
            }
            raw("}")
        }
    }
}
