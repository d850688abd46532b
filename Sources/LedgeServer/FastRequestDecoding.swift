internal import LedgeServing
/// Builds a ``V2InferenceRequest`` from a parsed ``JSONValue`` without
/// `JSONDecoder`. Every mismatch gives `nil`, never an error: the caller then
/// decodes with `JSONDecoder`, whose errors name the field, so a bad request
/// gets the same words whichever path saw it first.
extension V2InferenceRequest {
    init?(fast json: JSONValue) {
        guard case .object(let members) = json, case .array(let inputs)? = members["inputs"] else { return nil }
        guard let id = Self.optionalString(members["id"]),
            let parameters = V2Parameters.optional(members["parameters"])
        else { return nil }
        var decodedInputs: [V2RequestInput] = []
        decodedInputs.reserveCapacity(inputs.count)
        for input in inputs {
            guard let decoded = V2RequestInput(fast: input) else { return nil }
            decodedInputs.append(decoded)
        }
        var decodedOutputs: [V2RequestOutput]?
        switch members["outputs"] {
        case nil, .null?: decodedOutputs = nil
        case .array(let outputs)?:
            var list: [V2RequestOutput] = []
            for output in outputs {
                guard case .object(let fields) = output, case .string(let name)? = fields["name"],
                    let parameters = V2Parameters.optional(fields["parameters"])
                else { return nil }
                list.append(V2RequestOutput(name: name, parameters: parameters))
            }
            decodedOutputs = list
        default: return nil
        }
        self.init(id: id, parameters: parameters, inputs: decodedInputs, outputs: decodedOutputs)
    }

    /// `.some(nil)` when absent or null, `.some(text)` for a string, `nil` otherwise.
    fileprivate static func optionalString(_ value: JSONValue?) -> String?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        default: return nil
        }
    }
}

extension V2RequestInput {
    fileprivate init?(fast json: JSONValue) {
        guard case .object(let fields) = json, case .string(let name)? = fields["name"],
            case .string(let datatype)? = fields["datatype"], case .array(let dims)? = fields["shape"],
            let parameters = V2Parameters.optional(fields["parameters"])
        else { return nil }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for dim in dims {
            guard let value = V2Parameters.integer(dim) else { return nil }
            shape.append(value)
        }
        let data: JSONValue?
        switch fields["data"] {
        case nil, .null?: data = nil
        case let value?: data = value
        }
        self.init(name: name, shape: shape, datatype: datatype, parameters: parameters, data: data)
    }
}

extension V2Parameters {
    /// `.some(nil)` when absent or null, the parameters when every key Ledge reads has its type, `nil` otherwise.
    fileprivate static func optional(_ value: JSONValue?) -> V2Parameters?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .object(let fields)?:
            var parameters = V2Parameters()
            guard let size = optionalInteger(fields["binary_data_size"]), let timeout = optionalInteger(fields["timeout"]),
                let priority = optionalInteger(fields["priority"])
            else { return nil }
            parameters.binary_data_size = size
            parameters.timeout = timeout
            parameters.priority = priority
            guard let classification = optionalInteger(fields["classification"]),
                let byteSize = optionalInteger(fields["shared_memory_byte_size"]),
                let offset = optionalInteger(fields["shared_memory_offset"]),
                let region = V2InferenceRequest.optionalString(fields["shared_memory_region"]),
                let contentType = V2InferenceRequest.optionalString(fields["content_type"])
            else { return nil }
            parameters.content_type = contentType
            parameters.classification = classification
            parameters.shared_memory_byte_size = byteSize
            parameters.shared_memory_offset = offset
            parameters.shared_memory_region = region
            guard let binary = flag(fields["binary_data"]), let binaryOutput = flag(fields["binary_data_output"]) else { return nil }
            parameters.binary_data = binary
            parameters.binary_data_output = binaryOutput
            return .some(parameters)
        default: return nil
        }
    }

    /// `.some(nil)` when absent or null, `.some(n)` for an integer literal that fits `Int`, `nil` otherwise.
    private static func optionalInteger(_ value: JSONValue?) -> Int?? {
        switch value {
        case nil, .null?: return .some(nil)
        case let value?: return integer(value).map { .some($0) }
        }
    }

    private static func flag(_ value: JSONValue?) -> Bool?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .bool(let flag)?: return .some(flag)
        default: return nil
        }
    }

    /// An integer literal that fits `Int` (`1.0` is not one).
    fileprivate static func integer(_ value: JSONValue) -> Int? {
        if case .int(let int) = value { return Int(exactly: int) }
        return nil
    }
}
