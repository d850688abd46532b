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
enum SeldonTarget {
    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.seldon
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
        for tensor in echoed.tensors {
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
        guard case .object(let members)? = echoed.answer.withUnsafeBytes({ JSONParser.parse($0) }), members["meta"] != nil,
            members["data"] != nil || members["jsonData"] != nil
        else {
            throw target.failure(
                "the answer does not parse as a Seldon message: \(String(decoding: echoed.answer.prefix(300), as: UTF8.self))", input)
        }
    }
}
