#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine
internal import LedgeVision

/// Encoded images as an infer request's input: a `BYTES` tensor of shape `[N]`, each element a
/// JPEG or PNG, given for a model's image input — what a camera pipeline that speaks only the
/// V2 protocol (gRPC's `raw_input_contents` or `contents.bytes_contents`, HTTP's binary data
/// extension, or JSON's base64 strings with MLServer's `content_type: "base64"`) sends instead
/// of decoding and preprocessing frames itself, as Triton's clients send them to an ensemble
/// with a preprocessing step. Each is decoded and preprocessed on the
/// request's task by the model's ``ServedModel/imagePipeline`` (what `/classify` and `ledge
/// classify` do) into the input tensor of a batch of N, which the model's shape must accept.
extension ServedModel {
    /// The most encoded images one request may carry (each becomes a whole input tensor).
    public static let maxEncodedImages = 64

    /// Whether `input` is encoded images: `BYTES` for the one input of a model with an image pipeline.
    func takesEncodedImages(_ input: InferenceRequest.Input, for spec: TensorSpec) -> Bool {
        input.datatype == "BYTES" && spec.dtype.v2Name != "BYTES" && imagePipeline != nil && info.inputs.count == 1
    }

    /// The input tensor of the images in `values` (`BYTES` elements; the binary section's bytes
    /// from `offset`, which moves past them), checked against `spec`.
    func encodedImages(_ input: InferenceRequest.Input, spec: TensorSpec, binary: Data?, offset: inout Int) throws -> Tensor {
        let name = "input '\(input.name)'"
        let bytes: Data
        switch input.values {
        case .binary(let size): bytes = try Self.binarySection(of: input.name, size: size, in: binary, offset: &offset)
        case .raw(let data, _, _): bytes = data
        case .json, .sharedMemory:
            throw LedgeError.invalidInput(
                "\(name): encoded images go in binary data (parameters.binary_data_size), as base64 strings with parameters.content_type \"base64\", "
                    + "or in gRPC's raw_input_contents or contents.bytes_contents")
        case .missing: throw LedgeError.invalidInput("\(name): expected 'data' or parameters.binary_data_size")
        }
        guard let preprocessor = imagePipeline?.preprocessor else { throw LedgeError.invalidInput("\(name): model '\(self.name)' takes no images") }
        guard input.shape.count == 1, (1...Self.maxEncodedImages).contains(input.shape[0]) else {
            throw LedgeError.invalidInput(
                "\(name): encoded images take shape [N], N from 1 to \(Self.maxEncodedImages) (one JPEG or PNG per element), got \(TensorCoding.describe(input.shape))"
            )
        }
        let count = input.shape[0]
        let shape = preprocessor.shape(batch: count)
        guard spec.accepts(shape: shape) else {
            throw LedgeError.invalidInput(
                "\(name): \(count) encoded image\(count == 1 ? "" : "s") make a tensor of shape \(TensorCoding.describe(shape)), the model expects \(spec.shapeDescription)"
            )
        }
        let images = try BytesElements.decode(bytes, count: count, of: name)
        return try preprocessor.decodeAndPrepare(
            images.enumerated().map { n, data in (data: data, name: count == 1 ? name : "\(name) element \(n)") })
    }
}
