public import LedgeCore

/// Triton's model configuration as JSON — what a load request's `config` parameter holds
/// (`tritonclient`'s `load_model(name, config=json.dumps({...}))`, protobuf's JSON mapping of
/// Triton's `model_config.proto`, field names as written or in lowerCamelCase: `MessageToJson`'s
/// `maxBatchSize`) — read by the same decoder and checks as a config.pbtxt
/// (``ModelConfig/decode(json:source:)``). Maps (`parameters`, a warmup sample's `inputs`)
/// are JSON objects there and repeated `key`/`value` messages in the text form.
public enum ModelConfigJSON {
    /// What errors call the config.
    public static let source = "load parameter 'config'"

    /// The config in `text`; anything wrong is a 400 naming the field.
    public static func config(_ text: String) throws -> ModelConfig {
        let parsed = Array(text.utf8).withUnsafeBytes { JSONParser.parse($0) }
        guard case .object(let members)? = parsed else {
            throw LedgeError.invalidInput("\(source) is no JSON object: expected Triton's model configuration as JSON")
        }
        do {
            return try ModelConfig.decode(json: tree(members, path: ""), source: source)
        } catch let error as LedgeError {
            throw LedgeError.invalidInput(error.message)  // the client's config, not a model file: 400
        }
    }

    private static let origin = TextProto.Position(line: 1, column: 1)

    /// The fields of a JSON object at `path` (`""` at the top, `model_warmup` in a warmup sample).
    static func tree(_ members: [String: JSONValue], path: String) -> TextProto {
        TextProto(
            fields: members.map { (key: snakeCase($0.key), value: $0.value) }.sorted { $0.key < $1.key }.compactMap { key, value in
                let inner = path.isEmpty ? key : path + "." + key
                let converted: TextProto.Value?
                if case .object(let entries) = value, ["parameters", "model_warmup.inputs", "dynamic_batching.priority_queue_policy"].contains(inner)
                {
                    converted = .list(
                        entries.sorted { $0.key < $1.key }.compactMap { name, entry in
                            self.value(entry, path: inner).map {
                                .init(
                                    value: .message(
                                        TextProto(fields: [
                                            .init(name: "key", value: .string(name), position: origin),
                                            .init(name: "value", value: $0, position: origin),
                                        ])), position: origin)
                            }
                        })
                } else {
                    converted = self.value(value, path: inner)
                }
                return converted.map { TextProto.Field(name: key, value: $0, position: origin) }
            })
    }

    /// A field's name as the text form writes it: protobuf's JSON mapping reads both a field's own
    /// name (`max_batch_size`) and its lowerCamelCase one (`maxBatchSize`, what protobuf writes).
    static func snakeCase(_ name: String) -> String {
        guard name.utf8.contains(where: { (65...90).contains($0) }) else { return name }
        var result = ""
        for character in name {
            if character.isASCII, character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// One JSON value as the text form's (`nil` for `null`: as if the field were absent).
    static func value(_ value: JSONValue, path: String) -> TextProto.Value? {
        switch value {
        case .null: return nil
        case .bool(let flag): return .identifier(flag ? "true" : "false")
        case .number(let number): return .number(number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number))
        case .int(let number): return .number(String(number))
        case .uint(let number): return .number(String(number))
        case .string(let text): return .string(text)
        case .array(let items): return .list(items.compactMap { self.value($0, path: path).map { .init(value: $0, position: origin) } })
        case .numbers(let packed):
            return .list(
                (0..<packed.values.count).compactMap { self.value(packed.element($0), path: path).map { .init(value: $0, position: origin) } })
        case .object(let members): return .message(tree(members, path: path))
        }
    }
}
