internal import GRPCCore
internal import GRPCProtobuf
internal import SwiftProtobuf

/// The inference calls with a request size limit that answers RESOURCE_EXHAUSTED.
///
/// grpc-swift's NIO transport (2.9.2) resets the stream (the client sees CANCELLED, "RST_STREAM
/// with error code 8") when a message is over its `maxRequestPayloadSize`, as grpc-java did before
/// its fix; clients that check for RESOURCE_EXHAUSTED cannot tell the fault. So the transport's cap
/// is set to ``transportCap(for:)`` and ModelInfer and ModelStreamInfer check `--max-body-size`
/// themselves, with the same text as HTTP's 413; only messages over the cap get the reset.
struct SizeLimitedService: RegistrableRPCService {
    let base: InferenceService
    let limit: Int

    /// What the transport buffers at most: twice the limit.
    static func transportCap(for limit: Int) -> Int { limit.multipliedReportingOverflow(by: 2).overflow ? .max : limit * 2 }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        base.registerMethods(with: &router)
        let base = self.base
        router.registerHandler(
            forMethod: Inference_GRPCInferenceService.Method.ModelInfer.descriptor,
            deserializer: LimitedDeserializer<Inference_ModelInferRequest>(limit: limit),
            serializer: ProtobufSerializer<Inference_ModelInferResponse>(),
            handler: { request, context in try await base.modelInfer(request: request, context: context) })
        router.registerHandler(
            forMethod: Inference_GRPCInferenceService.Method.ModelStreamInfer.descriptor,
            deserializer: LimitedDeserializer<Inference_ModelInferRequest>(limit: limit),
            serializer: ProtobufSerializer<Inference_ModelStreamInferResponse>(),
            handler: { request, context in try await base.modelStreamInfer(request: request, context: context) })
    }
}

/// Protobuf deserialization of messages of at most `limit` bytes; larger ones are RESOURCE_EXHAUSTED.
struct LimitedDeserializer<Message: SwiftProtobuf.Message>: MessageDeserializer {
    let limit: Int

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        guard serializedMessageBytes.count <= limit else {
            throw RPCError(
                code: .resourceExhausted,
                message: "request message of \(serializedMessageBytes.count) bytes exceeds the limit of \(limit) bytes (--max-body-size)")
        }
        return try ProtobufDeserializer<Message>().deserialize(serializedMessageBytes)
    }
}
