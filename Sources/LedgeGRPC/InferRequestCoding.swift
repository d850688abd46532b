#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// A `ModelInferRequest` as the serving core takes it: each input's values from
/// `raw_input_contents` (one entry per input, in order) or from the typed
/// `contents` list its datatype names, converted to raw little-endian bytes.
/// Checking against the model is the core's (``ServedModel/prepare(_:)``).
enum InferRequestCoding {
    static func request(_ message: Inference_ModelInferRequest) throws -> InferenceRequest {
        let raw = message.rawInputContents
        // Inputs in shared memory have no raw entry: the entries are the other inputs', in order.
        let shared = try message.inputs.map { try sharedMemory($0.parameters, of: "input '\($0.name)'") }
        let sent = shared.filter { $0 == nil }.count
        if !raw.isEmpty {
            guard raw.count == sent else {
                throw LedgeError.invalidInput(
                    sent == message.inputs.count
                        ? "raw_input_contents has \(raw.count) entries but the request has \(message.inputs.count) inputs: expected one entry per input"
                        : "raw_input_contents has \(raw.count) entries but the request has \(sent) inputs not in shared memory: expected one entry for each"
                )
            }
            if let typed = message.inputs.first(where: { TypedContents.fields(of: $0.contents).count > 0 }) {
                throw LedgeError.invalidInput(
                    "input '\(typed.name)' has contents while the request has raw_input_contents: expected one or the other")
            }
        }
        var next = 0
        let inputs = try zip(message.inputs, shared).map { input, reference in
            let shape = try input.shape.map { dimension in
                guard let value = Int(exactly: dimension), value >= 0 else {
                    throw LedgeError.invalidInput("input '\(input.name)': shape has dimension \(dimension): expected sizes of 0 or more")
                }
                return value
            }
            let values: InferenceRequest.Input.Values
            if let reference {
                if let field = TypedContents.fields(of: input.contents).first {
                    throw LedgeError.invalidInput(
                        "input '\(input.name)' has both contents.\(field) and parameters.shared_memory_region: expected one")
                }
                values = .sharedMemory(reference)
            } else if raw.isEmpty {
                values = try TypedContents.bytes(of: input)
            } else {
                values = .raw(raw[next], field: "raw_input_contents[\(next)]")
                next += 1
            }
            return InferenceRequest.Input(name: input.name, datatype: input.datatype, shape: shape, values: values)
        }
        let outputs: [InferenceRequest.Output]? =
            message.outputs.isEmpty
            ? nil
            : try message.outputs.map { output in
                InferenceRequest.Output(
                    name: output.name, binary: true, classification: try classification(output),
                    sharedMemory: try sharedMemory(output.parameters, of: "requested output '\(output.name)'"))
            }
        return InferenceRequest(
            id: message.id.isEmpty ? nil : message.id, inputs: inputs, outputs: outputs, binaryOutputs: true, jsonByteCount: 0,
            timeout: try InferenceRequest.timeout(try integer(message.parameters, "timeout", of: "the request")),
            priority: try InferenceRequest.priority(try integer(message.parameters, "priority", of: "the request")))
    }

    /// The shared-memory extension's parameters of an input or requested output (`tensor`: `input 'x'`).
    private static func sharedMemory(_ parameters: [String: Inference_InferParameter], of tensor: String) throws -> SharedMemoryReference? {
        var region: String?
        if let parameter = parameters["shared_memory_region"] {
            guard case .stringParam(let name) = parameter.parameterChoice else {
                throw LedgeError.invalidInput("\(tensor): parameters.shared_memory_region is not a string: expected string_param")
            }
            region = name
        }
        return try SharedMemoryReference.parameters(
            region: region, byteSize: try integer(parameters, "shared_memory_byte_size", of: tensor),
            offset: try integer(parameters, "shared_memory_offset", of: tensor), of: tensor)
    }

    /// The `classification` parameter of a requested output (tritonclient's `class_count`).
    private static func classification(_ output: Inference_ModelInferRequest.InferRequestedOutputTensor) throws -> Int? {
        try integer(output.parameters, "classification", of: "requested output '\(output.name)'", expected: "int64_param of at least 1")
    }

    /// The integer parameter `key` of `tensor` (`input 'x'`), `nil` when absent: int64 or uint64 (a
    /// uint64 past `Int.max` is `Int.max`, refused as out of range by the caller's checks).
    private static func integer(
        _ parameters: [String: Inference_InferParameter], _ key: String, of tensor: String, expected: String = "int64_param"
    ) throws -> Int? {
        guard let parameter = parameters[key] else { return nil }
        switch parameter.parameterChoice {
        case .int64Param(let value): return Int(value)
        case .uint64Param(let value): return Int(exactly: value) ?? .max
        default: throw LedgeError.invalidInput("\(tensor): parameters.\(key) is not an integer: expected \(expected)")
        }
    }
}

/// The typed `contents` lists of the protocol and which datatype each holds.
enum TypedContents {
    /// The names of the non-empty lists of `contents`.
    static func fields(of contents: Inference_InferTensorContents) -> [String] {
        var names: [String] = []
        if !contents.boolContents.isEmpty { names.append("bool_contents") }
        if !contents.intContents.isEmpty { names.append("int_contents") }
        if !contents.int64Contents.isEmpty { names.append("int64_contents") }
        if !contents.uintContents.isEmpty { names.append("uint_contents") }
        if !contents.uint64Contents.isEmpty { names.append("uint64_contents") }
        if !contents.fp32Contents.isEmpty { names.append("fp32_contents") }
        if !contents.fp64Contents.isEmpty { names.append("fp64_contents") }
        if !contents.bytesContents.isEmpty { names.append("bytes_contents") }
        return names
    }

    /// The list that holds values of a V2 `datatype`, `nil` for one with no list (FP16) or unknown.
    static func field(for datatype: String) -> String? {
        switch datatype {
        case "BOOL": return "bool_contents"
        case "INT8", "INT16", "INT32": return "int_contents"
        case "INT64": return "int64_contents"
        case "UINT8", "UINT16", "UINT32": return "uint_contents"
        case "UINT64": return "uint64_contents"
        case "FP32": return "fp32_contents"
        case "FP64": return "fp64_contents"
        case "BYTES": return "bytes_contents"
        default: return nil
        }
    }

    /// The input's typed values as raw little-endian bytes of its datatype.
    static func bytes(of input: Inference_ModelInferRequest.InferInputTensor) throws -> InferenceRequest.Input.Values {
        let contents = input.contents
        let given = fields(of: contents)
        guard let field = field(for: input.datatype) else {
            if input.datatype == "FP16" {
                throw LedgeError.invalidInput("input '\(input.name)': FP16 has no typed contents: expected its bytes in raw_input_contents")
            }
            // An unknown datatype: the core names what the model expects.
            return .raw(Data(), field: "contents", typed: true)
        }
        if let other = given.first(where: { $0 != field }) {
            throw LedgeError.invalidInput(
                "input '\(input.name)': \(input.datatype) values go in contents.\(field), got contents.\(other)")
        }
        let name = "contents." + field
        if given.isEmpty, !input.shape.contains(0) {
            throw LedgeError.invalidInput("input '\(input.name)': no values: expected contents.\(field) or raw_input_contents")
        }
        switch input.datatype {
        case "BOOL": return .raw(data(contents.boolContents.map { $0 ? UInt8(1) : 0 }), field: name, typed: true)
        case "INT8": return .raw(data(try narrow(contents.intContents, Int8.self, input)), field: name, typed: true)
        case "INT16": return .raw(data(try narrow(contents.intContents, Int16.self, input)), field: name, typed: true)
        case "INT32": return .raw(data(contents.intContents), field: name, typed: true)
        case "INT64": return .raw(data(contents.int64Contents), field: name, typed: true)
        case "UINT8": return .raw(data(try narrow(contents.uintContents, UInt8.self, input)), field: name, typed: true)
        case "UINT16": return .raw(data(try narrow(contents.uintContents, UInt16.self, input)), field: name, typed: true)
        case "UINT32": return .raw(data(contents.uintContents), field: name, typed: true)
        case "UINT64": return .raw(data(contents.uint64Contents), field: name, typed: true)
        case "FP32": return .raw(data(contents.fp32Contents), field: name, typed: true)
        case "FP64": return .raw(data(contents.fp64Contents), field: name, typed: true)
        // As raw_input_contents lays them out (each a 4-byte length, then its bytes): encoded images, for a model's image input.
        case "BYTES": return .raw(BytesElements.encode(contents.bytesContents), field: name, typed: true)
        default: return .raw(Data(), field: name, typed: true)
        }
    }

    private static func narrow<Wide: FixedWidthInteger, Narrow: FixedWidthInteger>(
        _ values: [Wide], _ type: Narrow.Type, _ input: Inference_ModelInferRequest.InferInputTensor
    ) throws -> [Narrow] {
        try values.map { value in
            guard let narrow = Narrow(exactly: value) else {
                throw LedgeError.invalidInput(
                    "input '\(input.name)': contents holds \(value), expected integers in \(Narrow.min)...\(Narrow.max) for \(input.datatype)")
            }
            return narrow
        }
    }

    /// The values' bytes as they lie in memory (little-endian on every platform Ledge builds for).
    private static func data<Value>(_ values: [Value]) -> Data {
        values.withUnsafeBytes { Data($0) }
    }
}
