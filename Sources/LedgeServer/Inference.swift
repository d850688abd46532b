#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// An inference request checked against the model: tensors in the model's
/// input order, and which outputs to send how.
struct PreparedInference: Sendable {
    var id: String?
    var inputs: [Tensor]
    /// (index into the model's outputs, as binary?)
    var outputs: [(index: Int, binary: Bool)]
}

/// Turns a V2 request body into tensors and model outputs into a V2 response.
enum InferenceCodec {
    /// The header of the binary tensor data extension.
    static let headerLengthField = "Inference-Header-Content-Length"

    /// Parses `body` (JSON, or JSON followed by binary data when `jsonLength` is given).
    static func prepare(body: Data, jsonLength: Int?, model: ServedModel) throws -> PreparedInference {
        let json: Data
        var binary = Data()
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
        let specs = model.info.inputs
        var tensors = [Tensor?](repeating: nil, count: specs.count)
        var offset = binary.startIndex
        for input in request.inputs {
            guard let index = specs.firstIndex(where: { $0.name == input.name }) else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)' is not an input of model '\(model.name)': expected one of \(specs.map { "'\($0.name)'" }.joined(separator: ", "))"
                )
            }
            guard tensors[index] == nil else { throw LedgeError.invalidInput("input '\(input.name)' is given more than once") }
            let spec = specs[index]
            guard input.datatype == spec.dtype.v2Name else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)': datatype \(input.datatype) does not match the model: expected \(spec.dtype.v2Name)")
            }
            guard input.shape.allSatisfy({ $0 >= 0 }), spec.accepts(shape: input.shape) else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)': shape \(TensorCoding.describe(input.shape)) does not match the model: expected \(spec.shapeDescription)")
            }
            if let size = input.parameters?.binary_data_size {
                // Overflow-checked; the bytes are then checked against this body before anything is allocated.
                let expected = try ShapeArithmetic.check(
                    input: input.name, shape: input.shape, dtype: spec.dtype,
                    limit: .max
                ).bytes
                guard size == expected else {
                    throw LedgeError.invalidInput(
                        "input '\(input.name)': binary_data_size \(size) does not match shape \(TensorCoding.describe(input.shape)) of \(spec.dtype.v2Name): expected \(expected) bytes"
                    )
                }
                guard jsonLength != nil else {
                    throw LedgeError.invalidInput(
                        "input '\(input.name)' has binary_data_size but the request has no \(headerLengthField) header")
                }
                guard binary.endIndex - offset >= size else {
                    throw LedgeError.invalidInput(
                        "input '\(input.name)': binary_data_size \(size) runs past the body: \(binary.endIndex - offset) bytes left after \(headerLengthField)"
                    )
                }
                tensors[index] = TensorCoding.tensor(dtype: spec.dtype, shape: input.shape, bytes: binary[offset..<(offset + size)])
                offset += size
            } else if let data = input.data {
                // Each JSON value takes at least one byte of the body: no tensor larger than that is allocated.
                let count = try ShapeArithmetic.check(
                    input: input.name, shape: input.shape, dtype: spec.dtype,
                    limit: json.count * spec.dtype.byteSize
                ).count
                tensors[index] = try TensorCoding.tensor(name: input.name, dtype: spec.dtype, shape: input.shape, count: count, data: data)
            } else {
                throw LedgeError.invalidInput("input '\(input.name)': expected 'data' or parameters.binary_data_size")
            }
        }
        guard offset == binary.endIndex else {
            throw LedgeError.invalidInput(
                "the body holds \(binary.endIndex - offset) bytes after \(headerLengthField) and the inputs' binary_data_size that no input claims")
        }
        var inputs: [Tensor] = []
        for (spec, tensor) in zip(specs, tensors) {
            guard let tensor else {
                throw LedgeError.invalidInput("model '\(model.name)' expects input '\(spec.name)', missing from 'inputs'")
            }
            inputs.append(tensor)
        }
        let allBinary = request.parameters?.binary_data_output ?? false
        let outputSpecs = model.info.outputs
        var outputs: [(Int, Bool)] = []
        if let requested = request.outputs {
            for output in requested {
                guard let index = outputSpecs.firstIndex(where: { $0.name == output.name }) else {
                    throw LedgeError.invalidInput(
                        "requested output '\(output.name)' is not an output of model '\(model.name)': expected one of \(outputSpecs.map { "'\($0.name)'" }.joined(separator: ", "))"
                    )
                }
                outputs.append((index, output.parameters?.binary_data ?? allBinary))
            }
        } else {
            outputs = outputSpecs.indices.map { ($0, allBinary) }
        }
        return PreparedInference(id: request.id, inputs: inputs, outputs: outputs)
    }

    /// The response body for `results` and the JSON length when any output is binary.
    static func response(for prepared: PreparedInference, results: [Tensor], model: ServedModel) throws -> (body: Data, jsonLength: Int?) {
        var binary = Data()
        var json = JSONWriter()
        json.raw(#"{"model_name":"#)
        json.string(model.name)
        json.raw(#","model_version":"#)
        json.string(model.version)
        if let id = prepared.id {
            json.raw(#","id":"#)
            json.string(id)
        }
        json.raw(#","outputs":["#)
        for (n, (index, asBinary)) in prepared.outputs.enumerated() {
            let tensor = results[index]
            json.raw(n == 0 ? #"{"name":"# : #",{"name":"#)
            json.string(model.info.outputs[index].name)
            json.raw(#","datatype":"#)
            json.string(tensor.dtype.v2Name)
            json.raw(#","shape":"#)
            json.integers(tensor.shape)
            if asBinary {
                tensor.withUnsafeBytes { binary.append(contentsOf: $0) }
                json.raw(#","parameters":{"binary_data_size":"#)
                json.integer(tensor.byteCount)
                json.raw("}}")
            } else {
                json.raw(#","data":"#)
                json.values(of: tensor)
                json.raw("}")
            }
        }
        json.raw("]}")
        let body = Data(json.bytes)
        return !prepared.outputs.contains(where: \.binary) ? (body, nil) : (body + binary, body.count)
    }
}
