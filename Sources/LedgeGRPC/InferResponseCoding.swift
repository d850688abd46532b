#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing
internal import SwiftProtobuf

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
            if let written = output.sharedMemory {
                tensor.parameters["shared_memory_region"] = .with { $0.stringParam = written.region }
                tensor.parameters["shared_memory_byte_size"] = .with { $0.int64Param = Int64(written.byteSize) }
                if written.offset != 0 { tensor.parameters["shared_memory_offset"] = .with { $0.int64Param = Int64(written.offset) } }
            }
            message.outputs.append(tensor)
            // An output in the client's shared memory has an empty entry: the entries stay in the order of `outputs`.
            switch (output.sharedMemory, output.content) {
            case (_?, _): message.rawOutputContents.append(Data())
            case (nil, .tensor(let values)): message.rawOutputContents.append(values.withUnsafeBytes { Data($0) })
            case (nil, .strings(_, let strings)): message.rawOutputContents.append(BytesElements.encode(strings))
            }
        }
        return message
    }
}
