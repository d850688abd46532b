#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
internal import GRPCCore
internal import LedgeCore
package import LedgeServing
internal import SwiftProtobuf

/// The gRPC service's decoders of untrusted bytes, reachable from the package's
/// other modules (the `FuzzGRPC` target of `LedgeFuzzing`) without widening the
/// decoders' own access: each is what `ModelInfer` and `ModelStreamInfer` run, unchanged.
package enum GRPCDecodingEntryPoints {
    /// A serialized `ModelInferRequest` as the service reads it: grpc-swift's protobuf
    /// deserializer, then the request the serving core takes. `nil` when the bytes are not
    /// a message (grpc-swift refuses the call before the service sees it).
    package static func inferRequest(_ bytes: [UInt8]) throws -> (model: String, request: InferenceRequest)? {
        guard let message = try? Inference_ModelInferRequest(serializedBytes: bytes) else { return nil }
        return (message.modelName, try InferRequestCoding.request(message))
    }

    /// A serialized `ServerReflectionRequest` as the reflection service reads it, and the
    /// `ServerReflectionResponse` it answers; `nil` when the bytes are not a message.
    package static func reflectionAnswer(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBytes { ReflectionRequest(bytes: $0) }.map(ReflectionService.answer)
    }

    /// The status code name and message a client sees for an error the service throws
    /// (`invalidArgument`, `internalError`, …).
    package static func status(of error: any Error) -> (code: String, message: String) {
        let status = GRPCStatus.error(error)
        return (String(describing: status.code), status.message)
    }

    /// `response` serialized as the `ModelInferResponse` the service sends.
    package static func responseBytes(_ response: InferenceResponse) throws -> [UInt8] {
        try InferResponseCoding.message(response).serializedBytes()
    }

    /// A serialized `ModelInferResponse` as a client reads it: each output's name, datatype,
    /// shape and raw bytes (its `raw_output_contents` entry), and whether its parameters name
    /// a shared memory region.
    package static func responseOutputs(_ bytes: [UInt8]) throws -> [(
        name: String, datatype: String, shape: [Int64], raw: Data?, inSharedMemory: Bool
    )] {
        let message = try Inference_ModelInferResponse(serializedBytes: bytes)
        return message.outputs.enumerated().map { n, output in
            (
                output.name, output.datatype, output.shape,
                message.rawOutputContents.indices.contains(n) ? message.rawOutputContents[n] : nil,
                output.parameters["shared_memory_region"] != nil
            )
        }
    }
}
