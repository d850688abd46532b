/// Schema checks over a ``TextProto`` tree, each failure one line naming the
/// file, the line and column, and the field path (`instance_group[0].count`).
struct TextProtoReader {
    typealias Position = TextProto.Position

    /// One message of the tree, with its path (`input[1]`; empty at the top) and where it starts.
    struct Message {
        var fields: TextProto
        var path: String
        var position: Position

        /// `path.name`, or `name` at the top.
        func path(_ name: String) -> String { path.isEmpty ? name : path + "." + name }
    }

    /// One scalar of the tree with its path and position.
    struct Scalar {
        var value: TextProto.Value
        var path: String
        var position: Position
    }

    let file: String
    /// The tree was read from protobuf's JSON form (Triton's JSON config): enum values and
    /// 64-bit integers come as strings there, and no position means anything.
    var json = false

    func error(_ message: String, at position: Position) -> LedgeError {
        LedgeError.invalidModel(json ? "\(file): \(message)" : "\(file):\(position): \(message)")
    }

    /// Throws for a field neither in `allowed` nor in `unlisted` (named, with the list of
    /// `allowed` fields) and for a field outside `repeated` given twice. `unlisted` are fields
    /// taken without being offered (Triton's fields Ledge takes only while off).
    func check(_ message: Message, allowed: [String], repeated: Set<String> = [], unlisted: [String] = []) throws {
        var seen: [String: Position] = [:]
        for field in message.fields.fields {
            guard allowed.contains(field.name) || unlisted.contains(field.name) else {
                let expected = allowed.isEmpty ? "no fields inside '\(message.path)'" : "one of " + allowed.joined(separator: ", ")
                throw error(
                    "field '\(message.path(field.name))' is not supported by ledge: expected \(expected)", at: field.position)
            }
            if !repeated.contains(field.name), let first = seen[field.name] {
                throw error("field '\(message.path(field.name))' is given twice (first at \(first)): expected it once", at: field.position)
            }
            seen[field.name] = field.position
        }
    }

    /// The value of the singular field `name`, if present; a list is refused.
    func scalar(_ message: Message, _ name: String, expected: String) throws -> Scalar? {
        guard let field = message.fields.fields(named: name).first else { return nil }
        if case .list = field.value {
            throw error("\(message.path(name)): expected \(expected), found \(field.value)", at: field.position)
        }
        return Scalar(value: field.value, path: message.path(name), position: field.position)
    }

    /// The values of the repeated scalar field `name`, lists flattened: `dims: [1, 2]` or `dims: 1 dims: 2`.
    func scalars(_ message: Message, _ name: String) -> [Scalar] {
        var result: [Scalar] = []
        for field in message.fields.fields(named: name) {
            if case .list(let elements) = field.value {
                for element in elements {
                    result.append(Scalar(value: element.value, path: "\(message.path(name))[\(result.count)]", position: element.position))
                }
            } else {
                result.append(Scalar(value: field.value, path: "\(message.path(name))[\(result.count)]", position: field.position))
            }
        }
        return result
    }

    /// The messages of the repeated field `name` (`input { … } input { … }` or `input [ {…}, {…} ]`), with paths `name[i]`.
    func messages(_ message: Message, _ name: String) throws -> [Message] {
        try scalars(message, name).map { try self.message($0) }
    }

    /// The message of the singular field `name`, if present.
    func message(_ message: Message, _ name: String) throws -> Message? {
        try scalar(message, name, expected: "a message { … }").map { try self.message($0) }
    }

    func message(_ scalar: Scalar) throws -> Message {
        guard case .message(let fields) = scalar.value else {
            throw error("\(scalar.path): expected a message { … }, found \(scalar.value)", at: scalar.position)
        }
        return Message(fields: fields, path: scalar.path, position: scalar.position)
    }

    func string(_ scalar: Scalar) throws -> String {
        guard case .string(let text) = scalar.value else {
            throw error("\(scalar.path): expected a string in quotes, found \(scalar.value)", at: scalar.position)
        }
        return text
    }

    func identifier(_ scalar: Scalar, expected: String) throws -> String {
        if json, case .string(let word) = scalar.value { return word }
        guard case .identifier(let word) = scalar.value else {
            throw error("\(scalar.path): expected \(expected), found \(scalar.value)", at: scalar.position)
        }
        return word
    }

    /// An enum field's value name: the name, or its number in `names` (indexed by number), as
    /// protobuf's text and JSON formats take either (`data_type: 11` is `TYPE_FP32`).
    func enumValue(_ scalar: Scalar, expected: String, names: [String]) throws -> String {
        // JSON's parsers take a number in a string too (protobuf's Python `json_format`).
        let numbered: String? =
            switch scalar.value {
            case .number(let text): text
            case .string(let text) where json && Int(text) != nil: text
            default: nil
            }
        if let number = numbered.flatMap({ Int($0) }), names.indices.contains(number) { return names[number] }
        switch scalar.value {
        case .number(let text):
            let numbers = names.count == 2 ? "0 or 1" : "0 to \(names.count - 1)"
            throw error("\(scalar.path): \(text) is no value's number: expected \(expected), or its number (\(numbers))", at: scalar.position)
        default: return try identifier(scalar, expected: expected)
        }
    }

    /// The words protobuf's text format reads as `true` and as `false`.
    static let trueWords: Set<String> = ["true", "True", "t"]
    static let falseWords: Set<String> = ["false", "False", "f"]

    /// A boolean as protobuf's text format writes one: `true`/`True`/`t`/`1` or `false`/`False`/`f`/`0`.
    func boolean(_ scalar: Scalar) throws -> Bool {
        switch scalar.value {
        case .identifier(let word) where Self.trueWords.contains(word): return true
        case .identifier(let word) where Self.falseWords.contains(word): return false
        case .number("1"): return true
        case .number("0"): return false
        default: throw error("\(scalar.path): expected true or false, found \(scalar.value)", at: scalar.position)
        }
    }

    /// An integer in `range`; `expected` says what in words (`a positive integer`).
    func integer(_ scalar: Scalar, in range: ClosedRange<Int>, expected: String) throws -> Int {
        var value = scalar.value
        if json, case .string(let text) = value { value = .number(text) }
        guard case .number(let text) = value, let value = Int(text) else {
            throw error("\(scalar.path): expected \(expected), found \(scalar.value)", at: scalar.position)
        }
        guard range.contains(value) else {
            throw error("\(scalar.path): \(value) is out of range: expected \(expected)", at: scalar.position)
        }
        return value
    }

    /// A required field is missing from `message`.
    func missing(_ message: Message, _ name: String, expected: String) -> LedgeError {
        error("\(message.path(name)) is missing: expected \(expected)", at: message.position)
    }
}
