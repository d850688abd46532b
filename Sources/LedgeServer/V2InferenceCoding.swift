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
        let inputs = request.inputs.map { input in
            let values: InferenceRequest.Input.Values =
                if let size = input.parameters?.binary_data_size { .binary(size: size) } else if let data = input.data { .json(data) } else {
                    .missing
                }
            return InferenceRequest.Input(name: input.name, datatype: input.datatype, shape: input.shape, values: values)
        }
        let outputs = request.outputs?.map {
            InferenceRequest.Output(name: $0.name, binary: $0.parameters?.binary_data, classification: $0.parameters?.classification)
        }
        return InferenceRequest(
            id: request.id, inputs: inputs, outputs: outputs, binaryOutputs: request.parameters?.binary_data_output ?? false,
            binary: binary, jsonByteCount: json.count)
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
            if output.binary {
                let start = binary.count
                switch output.content {
                case .tensor(let tensor): tensor.withUnsafeBytes { binary.append(contentsOf: $0) }
                case .strings(_, let strings): appendBytesElements(strings, to: &binary)
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
        return !response.outputs.contains(where: \.binary) ? (body, nil) : (body + binary, body.count)
    }

    /// BYTES elements in the binary extension: each a 4-byte little-endian length, then its bytes.
    private static func appendBytesElements(_ strings: [String], to data: inout Data) {
        for string in strings {
            let length = UInt32(string.utf8.count)
            withUnsafeBytes(of: length.littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: Array(string.utf8))
        }
    }
}
