#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// Triton's logging extension over HTTP: the settings as one JSON object, and a `POST` body's changes.
enum LogSettingsCoding {
    /// `{"log_error":true,"log_file":"",…}`, keys sorted.
    static func body(_ settings: LogSettings) -> Data {
        let fields = settings.settings.sorted { $0.key < $1.key }.map { key, value -> String in
            let text =
                switch value {
                case .bool(let flag): flag ? "true" : "false"
                case .uint32(let number): String(number)
                case .string(let string): String(decoding: (try? JSONEncoder().encode(string)) ?? Data("\"\"".utf8), as: UTF8.self)
                }
            return "\"\(key)\":\(text)"
        }
        return Data(("{" + fields.joined(separator: ",") + "}").utf8)
    }

    /// The settings a `POST /v2/logging` body changes; 400 naming the problem when it is no JSON
    /// object of booleans, unsigned integers and strings.
    static func changes(_ body: Data) throws -> [String: LogSettings.Value] {
        guard let fields = try? JSONDecoder().decode([String: Setting].self, from: body) else {
            throw ServerError.badRequest(#"the body must be a JSON object of log settings, e.g. {"log_verbose_level": 1}"#)
        }
        return try fields.mapValues { setting in
            guard let value = setting.value else {
                let key = fields.first { $0.value.value == nil }?.key ?? ""
                throw ServerError.badRequest("log setting '\(key)' must be a boolean, an unsigned integer or a string")
            }
            return value
        }
    }

    /// One value of the body: a boolean, an unsigned 32-bit integer or a string (`nil`: anything else).
    private struct Setting: Decodable {
        var value: LogSettings.Value?

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                value = .bool(flag)
            } else if let number = try? container.decode(UInt32.self) {
                value = .uint32(number)
            } else if let text = try? container.decode(String.self) {
                value = .string(text)
            }
        }
    }
}
