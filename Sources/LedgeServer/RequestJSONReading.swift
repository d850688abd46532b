internal import LedgeCore
internal import LedgeServing

/// Reads a ``V2InferenceRequest`` from the ``JSONValue`` tree ``JSONParser`` made of the body:
/// the one decoding path of an infer request, valid or not. A field of the wrong kind, or a
/// required one missing, is a one-line 400 naming it by its path (`inputs[0].shape[1]`), checked
/// in the order the fields are declared; keys Ledge does not read are ignored. A `null` is an
/// absent optional field, and a required one of the wrong type.
extension V2InferenceRequest {
    init(json: JSONValue) throws {
        guard case .object(let members) = json else { throw RequestField.wrongType("(root)", expected: "an object") }
        let id = try RequestField.string(members["id"], at: "id")
        let parameters = try V2Parameters(members["parameters"], at: "parameters")
        guard let list = members["inputs"] else { throw RequestField.missing("inputs") }
        guard case .array(let items) = list else { throw RequestField.wrongType("inputs", expected: "an array of objects") }
        var inputs: [V2RequestInput] = []
        inputs.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { inputs.append(try V2RequestInput(item, at: "inputs[\(i)]")) }
        var outputs: [V2RequestOutput]?
        switch members["outputs"] {
        case nil, .null?: outputs = nil
        case .array(let items)?:
            outputs = try items.enumerated().map { i, item in try V2RequestOutput(item, at: "outputs[\(i)]") }
        default: throw RequestField.wrongType("outputs", expected: "an array of objects")
        }
        self.init(id: id, parameters: parameters, inputs: inputs, outputs: outputs)
    }
}

extension V2RequestInput {
    fileprivate init(_ json: JSONValue, at path: @autoclosure () -> String) throws {
        guard case .object(let fields) = json else { throw RequestField.wrongType(path(), expected: "an object") }
        let name = try RequestField.requiredString(fields["name"], at: path() + ".name")
        guard let dims = fields["shape"] else { throw RequestField.missing(path() + ".shape") }
        guard case .array(let items) = dims else { throw RequestField.wrongType(path() + ".shape", expected: "an array of integers") }
        var shape: [Int] = []
        shape.reserveCapacity(items.count)
        for (d, item) in items.enumerated() {
            guard case .int(let value) = item, let dim = Int(exactly: value) else {
                throw RequestField.wrongType(path() + ".shape[\(d)]", expected: "an integer")
            }
            shape.append(dim)
        }
        let datatype = try RequestField.requiredString(fields["datatype"], at: path() + ".datatype")
        let parameters = try V2Parameters(fields["parameters"], at: path() + ".parameters")
        let data: JSONValue?
        switch fields["data"] {
        case nil, .null?: data = nil
        case let value?: data = value
        }
        self.init(name: name, shape: shape, datatype: datatype, parameters: parameters, data: data)
    }
}

extension V2RequestOutput {
    fileprivate init(_ json: JSONValue, at path: @autoclosure () -> String) throws {
        guard case .object(let fields) = json else { throw RequestField.wrongType(path(), expected: "an object") }
        let name = try RequestField.requiredString(fields["name"], at: path() + ".name")
        self.init(name: name, parameters: try V2Parameters(fields["parameters"], at: path() + ".parameters"))
    }
}

extension V2Parameters {
    /// `nil` when absent or `null`.
    fileprivate init?(_ json: JSONValue?, at path: @autoclosure () -> String) throws {
        switch json {
        case nil, .null?: return nil
        case .object(let fields)?:
            self.init()
            func key(_ name: String) -> String { path() + "." + name }
            binary_data_size = try RequestField.integer(fields["binary_data_size"], at: key("binary_data_size"))
            binary_data = try RequestField.flag(fields["binary_data"], at: key("binary_data"))
            binary_data_output = try RequestField.flag(fields["binary_data_output"], at: key("binary_data_output"))
            classification = try RequestField.integer(fields["classification"], at: key("classification"))
            shared_memory_region = try RequestField.string(fields["shared_memory_region"], at: key("shared_memory_region"))
            shared_memory_byte_size = try RequestField.integer(fields["shared_memory_byte_size"], at: key("shared_memory_byte_size"))
            shared_memory_offset = try RequestField.integer(fields["shared_memory_offset"], at: key("shared_memory_offset"))
            timeout = try RequestField.integer(fields["timeout"], at: key("timeout"))
            priority = try RequestField.integer(fields["priority"], at: key("priority"))
            content_type = try RequestField.string(fields["content_type"], at: key("content_type"))
        default: throw RequestField.wrongType(path(), expected: "an object")
        }
    }
}

/// The typed reads of an infer request's fields and the words of their errors.
enum RequestField {
    static func wrongType(_ path: String, expected: String) -> LedgeError {
        LedgeError.invalidInput("field '\(path)' has the wrong type: expected \(expected)")
    }

    static func missing(_ path: String) -> LedgeError { LedgeError.invalidInput("missing field '\(path)' in the request JSON") }

    /// A required string: absent is missing, anything else but a string (`null` too) the wrong type.
    static func requiredString(_ value: JSONValue?, at path: @autoclosure () -> String) throws -> String {
        switch value {
        case nil: throw missing(path())
        case .string(let text)?: return text
        default: throw wrongType(path(), expected: "a string")
        }
    }

    /// An optional string: `nil` when absent or `null`.
    static func string(_ value: JSONValue?, at path: @autoclosure () -> String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw wrongType(path(), expected: "a string")
        }
    }

    /// An integer literal that fits `Int` (`1.0` is not one); `nil` when absent or `null`.
    static func integer(_ value: JSONValue?, at path: @autoclosure () -> String) throws -> Int? {
        switch value {
        case nil, .null?: return nil
        case .int(let int)?: if let value = Int(exactly: int) { return value }
        default: break
        }
        throw wrongType(path(), expected: "an integer")
    }

    /// `nil` when absent or `null`.
    static func flag(_ value: JSONValue?, at path: @autoclosure () -> String) throws -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw wrongType(path(), expected: "a boolean")
        }
    }
}
