#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServer
internal import LedgeServing

/// FuzzSeldon: the bytes as a Seldon Core v1 prediction, through the route's own reading: the
/// JSON message (or, when byte 0 is 0x01, the rest as an URL-encoded form whose `json` field
/// holds it: the form and query decoding), `data` and `jsonData` payloads in both forms
/// (`ndarray` nested lists, `tensor` shape + values) against ``RequestTarget/model``'s
/// inputs, `meta`, then the answer made of those tensors echoed back.
///
/// Invariants: nothing traps; every error is a one-line `invalidInput` ``LedgeError`` or a
/// 400 ``ServerError``; each tensor has its input's dtype, a shape the input accepts and the
/// bytes that shape takes, and holds no more values than the message could carry; the answer
/// parses with the server's strict JSON parser.
///
/// When byte 0 is 0x02, the rest is a KServe v1 predict body instead (`{"instances": …}` or `{"inputs": …}`, the
/// rows read as ``V1Coding`` reads them and its columns as ``V1Columns`` does, for
/// ``rowModel``): the same invariants for each instance's tensors (batch 1) or the columns'
/// batch, and the echoed `{"predictions": […]}` parses with one entry per instance, or
/// `{"outputs": {…}}` with one tensor per input.
enum SeldonTarget {
    /// A model whose every input has a dynamic batch, as v1's rows need: instances are objects
    /// with a row of 4 floats, a matrix of booleans and one integer.
    static let rowModel: ServedModel = {
        let inputs = [
            TensorSpec(name: "x", dtype: .float32, shape: [-1, 4]),
            TensorSpec(name: "mask", dtype: .bool, shape: [-1, -1, -1]),
            TensorSpec(name: "ids", dtype: .int64, shape: [-1]),
        ]
        let info = ModelInfo(path: "rows.onnx", format: .onnx, runtimeVersion: "0", sizeBytes: 0, inputs: inputs, outputs: inputs)
        return ServedModel(name: "rows", info: info, pool: SessionPool(modelName: "rows", instances: [], queueLimit: 0))
    }()

    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.seldon
        if input.first == 0x02 { return try runV1(input) }
        let form = input.first == 0x01
        let body = form ? Array(input.dropFirst()) : Array(input)
        let specs = RequestTarget.model.info.inputs
        let echoed: (tensors: [Tensor], answer: Data)?
        do {
            echoed = try DecodingEntryPoints.seldonEcho(body, form: form, inputs: specs, model: "fuzz")
        } catch {
            try target.expectRefusal(error, from: "seldon", input)
            return
        }
        guard let echoed else { return }
        try check(echoed.tensors, from: body, specs: specs, input)
        guard case .object(let members)? = echoed.answer.withUnsafeBytes({ JSONParser.parse($0) }), members["meta"] != nil,
            members["data"] != nil || members["jsonData"] != nil
        else {
            throw target.failure(
                "the answer does not parse as a Seldon message: \(String(decoding: echoed.answer.prefix(300), as: UTF8.self))", input)
        }
    }

    private static func runV1(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.seldon
        let body = Array(input.dropFirst())
        let echoed: (tensors: [[Tensor]], answer: Data)
        do {
            echoed = try DecodingEntryPoints.v1Echo(body, model: rowModel)
        } catch {
            try target.expectRefusal(error, from: "v1", input)
            return
        }
        guard case .object(let members)? = echoed.answer.withUnsafeBytes({ JSONParser.parse($0) }) else {
            throw target.failure("the answer does not parse: \(String(decoding: echoed.answer.prefix(300), as: UTF8.self))", input)
        }
        for tensors in echoed.tensors {
            // Rows are single items; columns one batch (the model's batch is free).
            let rows = members["predictions"] != nil
            if tensors.count != rowModel.info.inputs.count || (rows && tensors.contains(where: { $0.shape.first != 1 })) {
                throw target.failure("an item gave \(tensors.count) tensors of shapes \(tensors.map(\.shape))", input)
            }
            try check(tensors, from: body, specs: rowModel.info.inputs, input)
        }
        switch (members["predictions"], members["outputs"]) {
        case (.array(let predictions)?, nil) where predictions.count == echoed.tensors.count: break
        case (nil, .object(let outputs)?) where echoed.tensors.count == 1 && outputs.count == rowModel.info.inputs.count: break
        default:
            throw target.failure("the answer is no v1 predictions or outputs: \(String(decoding: echoed.answer.prefix(300), as: UTF8.self))", input)
        }
    }

    /// Each tensor fits an input of the model, with the bytes its shape takes and no more values than `body` could carry.
    private static func check(_ tensors: [Tensor], from body: [UInt8], specs: [TensorSpec], _ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.seldon
        for tensor in tensors {
            guard let spec = specs.first(where: { $0.dtype == tensor.dtype && $0.accepts(shape: tensor.shape) }) else {
                throw target.failure("a tensor of \(tensor.dtype) \(tensor.shape) fits no input", input)
            }
            guard let bytes = ShapeArithmetic.byteCount(tensor.shape, dtype: tensor.dtype), bytes == tensor.byteCount else {
                throw target.failure("input '\(spec.name)' holds \(tensor.byteCount) bytes for shape \(tensor.shape)", input)
            }
            // A JSON value takes at least one byte; an element at most 8 bytes.
            if tensor.byteCount > body.count * 8 {
                throw target.failure("a tensor of \(tensor.byteCount) bytes from a \(body.count)-byte message", input)
            }
        }
    }
}
