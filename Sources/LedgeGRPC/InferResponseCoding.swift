#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// An ``InferenceResponse`` as a `ModelInferResponse`: every output's bytes in
/// `raw_output_contents`, as Triton answers over gRPC (`BYTES` elements, the
/// classification extension's strings, each a 4-byte little-endian length then its bytes).
enum InferResponseCoding {
    static func message(_ response: InferenceResponse) -> Inference_ModelInferResponse {
        var message = Inference_ModelInferResponse()
        message.modelName = response.modelName
        message.modelVersion = response.modelVersion
        message.id = response.id ?? ""
        message.outputs.reserveCapacity(response.outputs.count)
        message.rawOutputContents.reserveCapacity(response.outputs.count)
        for output in response.outputs {
            var tensor = Inference_ModelInferResponse.InferOutputTensor()
            tensor.name = output.name
            tensor.datatype = output.datatype
            tensor.shape = output.shape.map(Int64.init)
            message.outputs.append(tensor)
            switch output.content {
            case .tensor(let values): message.rawOutputContents.append(values.withUnsafeBytes { Data($0) })
            case .strings(_, let strings): message.rawOutputContents.append(bytesElements(strings))
            }
        }
        return message
    }

    /// `BYTES` elements: each a 4-byte little-endian length, then its bytes.
    static func bytesElements(_ strings: [String]) -> Data {
        var data = Data()
        data.reserveCapacity(strings.reduce(0) { $0 + 4 + $1.utf8.count })
        for string in strings {
            withUnsafeBytes(of: UInt32(string.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: string.utf8)
        }
        return data
    }
}
