#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeGRPC
internal import LedgeServing

/// FuzzGRPC: the bytes as the serialized `ModelInferRequest` of a gRPC `ModelInfer` call (or
/// one message of `ModelStreamInfer`), through the service's own decoding: grpc-swift's protobuf
/// deserializer, the raw and typed contents to tensors, shared memory and classification
/// parameters, the checks against a model (``RequestTarget/model``, its two shared memory
/// regions), then the `ModelInferResponse` as a client reads it.
///
/// Invariants: nothing traps; every error is a one-line `invalidInput` ``LedgeError``, which a
/// client sees as INVALID_ARGUMENT (never INTERNAL); what `prepare` accepts fits the model (as
/// FuzzRequest checks it); the response parses back with one `raw_output_contents` entry per
/// output, each as long as its shape and datatype say (empty for an output in shared memory,
/// length-prefixed elements for `BYTES`).
///
/// The same bytes as a `ServerReflectionRequest` of gRPC reflection: the answer is a message
/// whose `original_request` (field 2) is the input, with one of its answers (fields 4 to 7). And
/// as the `BYTES` elements of an encoded-images input (`raw_input_contents`), as many as the first
/// byte says (1 to 8): they are those elements exactly (their bytes and lengths make the input),
/// or a one-line `invalidInput` error.
enum GRPCRequestTarget {
    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.grpc
        try checkReflection(input)
        try checkBytesElements(input)
        let request: InferenceRequest
        do {
            guard let decoded = try GRPCDecodingEntryPoints.inferRequest(Array(input)) else { return }
            request = decoded.request
        } catch {
            try expectInvalidArgument(error, from: "request", input)
            return
        }
        let model = RequestTarget.model
        let prepared: PreparedInference
        do {
            prepared = try model.prepare(request, sharedMemory: RequestTarget.sharedMemory)
        } catch {
            try expectInvalidArgument(error, from: "prepare", input)
            return
        }
        try RequestTarget.checkPrepared(prepared, target, input)
        let response: InferenceResponse
        do {
            response = try model.response(for: prepared, results: prepared.inputs)
        } catch {
            try expectInvalidArgument(error, from: "response", input)
            return
        }
        let outputs = try GRPCDecodingEntryPoints.responseOutputs(try GRPCDecodingEntryPoints.responseBytes(response))
        if outputs.count != response.outputs.count {
            throw target.failure("the response message has \(outputs.count) outputs, expected \(response.outputs.count)", input)
        }
        for (read, sent) in zip(outputs, response.outputs) {
            if read.name != sent.name || read.datatype != sent.datatype || read.shape != sent.shape.map(Int64.init) {
                throw target.failure("output '\(sent.name)' reads back as '\(read.name)' \(read.datatype) \(read.shape)", input)
            }
            if read.inSharedMemory != (sent.sharedMemory != nil) {
                throw target.failure(
                    "output '\(sent.name)' in shared memory: \(sent.sharedMemory != nil), its parameters say \(read.inSharedMemory)", input)
            }
            guard let raw = read.raw else { throw target.failure("output '\(sent.name)' has no raw_output_contents entry", input) }
            let expected: Int
            switch (sent.sharedMemory, sent.content) {
            case (_?, _): expected = 0
            case (nil, .tensor(let tensor)): expected = ShapeArithmetic.byteCount(tensor.shape, dtype: tensor.dtype) ?? -1
            case (nil, .strings(_, let strings)): expected = strings.reduce(0) { $0 + 4 + $1.utf8.count }
            }
            if raw.count != expected {
                throw target.failure("output '\(sent.name)' has \(raw.count) raw bytes, expected \(expected)", input)
            }
        }
    }

    private static func checkBytesElements(_ input: UnsafeBufferPointer<UInt8>) throws {
        let count = Int(input.first ?? 0) % 8 + 1
        let elements: [Data]
        do {
            elements = try BytesElements.decode(Data(input), count: count, of: "input 'images'")
        } catch {
            try FuzzTarget.grpc.expectLedgeError(error, from: "BytesElements.decode", input)
            return
        }
        if elements.count != count || BytesElements.encode(elements) != Data(input) {
            throw FuzzTarget.grpc.failure("\(elements.count) BYTES elements read, expected \(count) that make the input", input)
        }
    }

    private static func checkReflection(_ input: UnsafeBufferPointer<UInt8>) throws {
        guard let answer = GRPCDecodingEntryPoints.reflectionAnswer(Array(input)) else { return }
        var numbers: [UInt64] = []
        var echoed: [UInt8]?
        try answer.withUnsafeBytes { bytes in
            var reader = WireReader(bytes: bytes, range: 0..<bytes.count)
            while !reader.atEnd {
                guard let field = reader.next() else { throw FuzzTarget.grpc.failure("the reflection answer is no message", input) }
                numbers.append(field.number)
                if field.number == 2, case .bytes(let range) = field.value { echoed = Array(bytes[range]) }
            }
        }
        if echoed != Array(input) || numbers.filter({ (4...7).contains($0) }).count != 1 {
            throw FuzzTarget.grpc.failure("the reflection answer's fields are \(numbers), its original_request \(echoed?.count ?? -1) bytes", input)
        }
    }

    /// Throws unless `error` is a one-line `invalidInput` ``LedgeError`` that a client sees as
    /// INVALID_ARGUMENT with the same text.
    private static func expectInvalidArgument(_ error: any Error, from call: String, _ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.grpc
        try target.expectLedgeError(error, from: call, input)
        let status = GRPCDecodingEntryPoints.status(of: error)
        if status.code != "invalidArgument" || status.message != (error as? LedgeError)?.message {
            throw target.failure("\(call)'s error reaches the client as \(status.code): \(status.message)", input)
        }
    }
}
