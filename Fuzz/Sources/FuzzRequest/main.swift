// FuzzRequest: the bytes as the body of `POST /v2/models/{m}/infer`, through the
// server's own decoding (JSONParser, RequestDecoding, InferenceCodec.prepare/response).
//
// Invariants: nothing traps; every error thrown is a LedgeError (so the server answers 4xx
// with its message, never 500 "internal error") whose message is one non-empty line; what
// prepare accepts matches the model (rank, fixed dimensions, element count) and encodes
// back to JSON our own strict parser accepts.
//
// A NUL byte (never valid in JSON) splits the input: the bytes before it are the JSON and
// its length is sent as Inference-Header-Content-Length; the rest is the binary section.
import CFuzzDriver
import Foundation
import LedgeCore
@testable import LedgeServer

/// A model with no sessions: prepare only reads its tensor specs. One input per dtype family,
/// fixed and dynamic dimensions, a scalar.
private let model: ServedModel = {
    let inputs = [
        TensorSpec(name: "x", dtype: .float32, shape: [-1, 4]),
        TensorSpec(name: "mask", dtype: .bool, shape: [-1]),
        TensorSpec(name: "ids", dtype: .int64, shape: [1, -1]),
        TensorSpec(name: "pix", dtype: .uint8, shape: [2, 2, 3]),
        TensorSpec(name: "h", dtype: .float16, shape: [-1, -1, -1]),
        TensorSpec(name: "s", dtype: .int8, shape: []),
        TensorSpec(name: "d", dtype: .float64, shape: [3]),
        TensorSpec(name: "u", dtype: .uint32, shape: [-1]),
    ]
    let info = ModelInfo(
        path: "fuzz.onnx", format: .onnx, runtimeVersion: "0", sizeBytes: 0,
        inputs: inputs, outputs: inputs)
    return ServedModel(name: "fuzz", info: info, pool: SessionPool(modelName: "fuzz", instances: [], queueLimit: 0))
}()

private func fail(_ what: String, _ body: UnsafeBufferPointer<UInt8>) -> Never {
    let text = String(decoding: body.prefix(512), as: UTF8.self)
    fatalError("FuzzRequest invariant: \(what) (body \(body.count) bytes: \(text.debugDescription))")
}

private func checkError(_ error: any Error, _ what: String, _ body: UnsafeBufferPointer<UInt8>) {
    guard let error = error as? LedgeError else {
        fail("\(what) threw a non-LedgeError \(type(of: error)): \(error)", body)
    }
    if error.code != .invalidInput { fail("\(what) threw code \(error.code): \(error.message)", body) }
    if error.message.isEmpty || error.message.contains(where: { $0.isNewline }) {
        fail("\(what) threw a message that is not one line: \(error.message.debugDescription)", body)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let body = Data(input)
    let split = input.firstIndex(of: 0)
    let json = split.map { body.prefix($0) } ?? body

    // 1. The strict parser alone: never traps; what it refuses, decode refuses.
    let parsed = json.withUnsafeBytes { JSONParser.parse($0) }

    // 2. RequestDecoding: only LedgeErrors.
    do {
        let request = try RequestDecoding.decode(json)
        if parsed == nil { fail("decode accepted JSON the parser refuses", input) }
        _ = request.inputs.count
    } catch {
        checkError(error, "RequestDecoding.decode", input)
    }

    // 3. InferenceCodec.prepare against the model, then the response it would send.
    let prepared: PreparedInference
    do {
        prepared = try InferenceCodec.prepare(body: body, jsonLength: split, model: model)
    } catch {
        checkError(error, "InferenceCodec.prepare", input)
        return 0
    }
    if parsed == nil { fail("prepare accepted JSON the parser refuses", input) }
    let specs = model.info.inputs
    if prepared.inputs.count != specs.count { fail("prepare gave \(prepared.inputs.count) tensors", input) }
    for (tensor, spec) in zip(prepared.inputs, specs) {
        if tensor.dtype != spec.dtype { fail("input '\(spec.name)' has dtype \(tensor.dtype)", input) }
        if !spec.accepts(shape: tensor.shape) { fail("input '\(spec.name)' has shape \(tensor.shape)", input) }
        guard let bytes = ShapeArithmetic.byteCount(tensor.shape, dtype: tensor.dtype), bytes == tensor.byteCount else {
            fail("input '\(spec.name)' holds \(tensor.byteCount) bytes for shape \(tensor.shape)", input)
        }
        // Nothing larger than the body (JSON: a value per byte at most; binary: the bytes sent).
        if tensor.byteCount > size * 8 { fail("input '\(spec.name)' of \(tensor.byteCount) bytes from a \(size)-byte body", input) }
    }
    for output in prepared.outputs where !specs.indices.contains(output.index) {
        fail("prepare named output \(output.index)", input)
    }
    // Echo the inputs as the outputs (same specs) through the response writer.
    do {
        let response = try InferenceCodec.response(for: prepared, results: prepared.inputs, model: model)
        let jsonPart = response.jsonLength.map { response.body.prefix($0) } ?? response.body
        let reparsed = jsonPart.withUnsafeBytes { JSONParser.parse($0) }
        guard case .object(let members)? = reparsed, case .array(let outputs)? = members["outputs"] else {
            fail("response JSON does not parse as an object with 'outputs': \(String(decoding: jsonPart.prefix(512), as: UTF8.self))", input)
        }
        if outputs.count != prepared.outputs.count { fail("response has \(outputs.count) outputs", input) }
    } catch {
        fail("response threw \(error)", input)
    }
    return 0
}

exit(ledge_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in fuzz(data!, size) })
