#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// The V2 REST wire format of an inference: a JSON body (optionally followed
/// by the binary tensor data extension's bytes) to an ``InferenceRequest``,
/// and an ``InferenceResponse`` to a body. Checking against the model and
/// running it are the serving core's.
enum V2InferenceCoding {
    /// The header of the binary tensor data extension.
    static let headerLengthField = InferenceRequest.binaryHeaderName

    /// The JSON length the extension's header gives, `nil` without the header, else 400.
    static func jsonLength(header: String?) throws -> Int? {
        guard let header else { return nil }
        guard let length = Int(header.trimmingWhitespace()) else {
            throw ServerError.badRequest("\(headerLengthField) '\(HeaderValue.printable(header))' is not a number: expected the JSON length in bytes")
        }
        return length
    }

    /// Parses `body` (JSON, or JSON followed by binary data when `jsonLength` is given).
    static func request(body: Data, jsonLength: Int?) throws -> InferenceRequest {
        let json: Data
        var binary: Data?
        if let jsonLength {
            guard jsonLength >= 0, jsonLength <= body.count else {
                throw LedgeError.invalidInput(
                    "\(headerLengthField) is \(jsonLength) but the body holds \(body.count) bytes: expected 0...\(body.count)")
            }
            json = body.prefix(jsonLength)
            binary = body.dropFirst(jsonLength)
        } else {
            json = body
        }
        let request = try RequestDecoding.decode(json)
        let inputs = try request.inputs.map { input in
            InferenceRequest.Input(name: input.name, datatype: input.datatype, shape: input.shape, values: try values(of: input))
        }
        let outputs = try request.outputs?.map {
            InferenceRequest.Output(
                name: $0.name, binary: $0.parameters?.binary_data, classification: $0.parameters?.classification,
                sharedMemory: try $0.parameters?.sharedMemory(of: "requested output '\($0.name)'"))
        }
        return InferenceRequest(
            id: request.id, inputs: inputs, outputs: outputs, binaryOutputs: request.parameters?.binary_data_output ?? false,
            binary: binary, jsonByteCount: json.count, timeout: try InferenceRequest.timeout(request.parameters?.timeout),
            priority: try InferenceRequest.priority(request.parameters?.priority))
    }

    /// Where an input's values are: `data`, the binary section or shared memory (one of them).
    private static func values(of input: V2RequestInput) throws -> InferenceRequest.Input.Values {
        let size = input.parameters?.binary_data_size
        guard let reference = try input.parameters?.sharedMemory(of: "input '\(input.name)'") else {
            if let size {
                guard input.data == nil else {
                    throw LedgeError.invalidInput("input '\(input.name)' has both 'data' and parameters.binary_data_size: expected one")
                }
                return .binary(size: size)
            }
            if input.parameters?.content_type == "base64", let data = input.data { return try base64(data, of: input) }
            return input.data.map { .json($0) } ?? .missing
        }
        if input.data != nil || size != nil {
            throw LedgeError.invalidInput(
                "input '\(input.name)' has both \(size != nil ? "parameters.binary_data_size" : "'data'") and parameters.shared_memory_region: expected one"
            )
        }
        return .sharedMemory(reference)
    }

    /// `BYTES` data as base64 strings (MLServer's `content_type: "base64"`, how a JSON client sends
    /// files such as encoded images): the elements' bytes, as the binary extension lays them out.
    private static func base64(_ data: JSONValue, of input: V2RequestInput) throws -> InferenceRequest.Input.Values {
        guard input.datatype == "BYTES" else {
            throw LedgeError.invalidInput(
                "input '\(input.name)': parameters.content_type \"base64\" is for BYTES data, not \(input.datatype)")
        }
        var strings: [JSONValue] = []
        func flatten(_ value: JSONValue) {
            if case .array(let items) = value { items.forEach(flatten) } else { strings.append(value) }
        }
        flatten(data)
        let elements = try strings.enumerated().map { n, value in
            guard case .string(let text) = value, let bytes = Data(base64Encoded: text) else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)': data[\(n)] is not a base64 string (parameters.content_type \"base64\")")
            }
            return bytes
        }
        return .raw(BytesElements.encode(elements), field: "data", typed: true)
    }

    /// The response body and the JSON length when any output is binary.
    static func body(for response: InferenceResponse) -> (body: Data, jsonLength: Int?) {
        var binary = Data()
        var json = JSONWriter()
        json.raw(#"{"model_name":"#)
        json.string(response.modelName)
        json.raw(#","model_version":"#)
        json.string(response.modelVersion)
        if let id = response.id {
            json.raw(#","id":"#)
            json.string(id)
        }
        json.raw(#","outputs":["#)
        for (n, output) in response.outputs.enumerated() {
            json.raw(n == 0 ? #"{"name":"# : #",{"name":"#)
            json.string(output.name)
            json.raw(#","datatype":"#)
            json.string(output.datatype)
            json.raw(#","shape":"#)
            json.integers(output.shape)
            if output.sharedMemory != nil {
                // In the client's shared memory: no data and no parameters (Triton's C++ client reads any
                // output `parameters` as the binary extension's and fails without `binary_data_size`).
                json.raw("}")
            } else if output.binary {
                let start = binary.count
                switch output.content {
                case .tensor(let tensor): tensor.withUnsafeBytes { binary.append(contentsOf: $0) }
                case .strings(_, let strings): BytesElements.append(strings, to: &binary)
                }
                json.raw(#","parameters":{"binary_data_size":"#)
                json.integer(binary.count - start)
                json.raw("}}")
            } else {
                json.raw(#","data":"#)
                switch output.content {
                case .tensor(let tensor): json.values(of: tensor)
                case .strings(_, let strings):
                    json.raw("[")
                    for (i, string) in strings.enumerated() {
                        if i > 0 { json.raw(",") }
                        json.string(string)
                    }
                    json.raw("]")
                }
                json.raw("}")
            }
        }
        json.raw("]}")
        let body = Data(json.bytes)
        let binaryOutputs = response.outputs.contains { $0.binary && $0.sharedMemory == nil }
        return binaryOutputs ? (body + binary, body.count) : (body, nil)
    }
}
