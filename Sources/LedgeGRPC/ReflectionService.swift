#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import GRPCCore
internal import LedgeCore
internal import LedgeServing

/// gRPC server reflection (`grpc.reflection.v1.ServerReflection`, and `v1alpha`, which
/// grpcio-reflection's client and older grpcurl ask): what lets `grpcurl -plaintext HOST:8001
/// list`, `describe` and calls by name, Postman, Kreya or evans find the services and messages
/// without a copy of the .proto files. Each request on the stream gets one response, in order:
/// `list_services` names the served services (inference, health, reflection);
/// `file_by_filename` and `file_containing_symbol` (a message, enum, service or method, fully
/// qualified) give the serialized descriptor of the file (``ReflectionDescriptors``, compiled
/// from `Protos/` by `scripts/generate_protos.sh`) with the files it imports; extensions: our
/// files declare none. Something unknown is an `error_response` (NOT_FOUND) on the stream, which
/// stays open, as grpc-go and grpc-java answer. The descriptors are the server's API, so a token
/// that may read metadata (`--auth-token`) is needed for them as for `ServerMetadata`. The
/// messages are read and written here in protobuf's wire format; tested with grpcio-reflection's
/// own client (`scripts/check_grpc_reflection.py`).
struct ReflectionService: RegistrableRPCService {
    static let methods = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"].map {
        MethodDescriptor(fullyQualifiedService: $0, method: "ServerReflectionInfo")
    }

    let calls: CallObservation

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        for method in Self.methods {
            router.registerHandler(
                forMethod: method, deserializer: ReflectionRequestCoder(), serializer: ReflectionResponseCoder(),
                handler: { request, _ in
                    try calls.authorize(request.metadata, endpoint: .api(.metadata, reach: .server))
                    return StreamingServerResponse { writer in
                        for try await message in request.messages { try await writer.write(Self.answer(message)) }
                        return [:]
                    }
                })
        }
    }

    /// The response to one request.
    static func answer(_ request: ReflectionRequest) -> [UInt8] {
        var response = ProtobufWriter()
        if !request.host.isEmpty { response.string(1, request.host) }  // valid_host
        response.bytes(2, request.raw)  // original_request
        switch request.kind {
        case .listServices:
            var list = ProtobufWriter()
            for name in ReflectionDescriptors.files.flatMap(\.services) {
                var service = ProtobufWriter()
                service.string(1, name)
                list.message(1, service)
            }
            response.message(6, list)
        case .fileByFilename(let name):
            guard let file = ReflectionDescriptors.files.first(where: { $0.name == name }) else {
                return error(response, "unknown file '\(name)'")
            }
            response.message(4, descriptors(of: file))
        case .fileContainingSymbol(let symbol):
            let name = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
            guard let file = ReflectionDescriptors.files.first(where: { $0.symbols.contains(name) }) else {
                return error(response, "unknown symbol '\(symbol)'")
            }
            response.message(4, descriptors(of: file))
        case .fileContainingExtension(let type, let number):
            return error(response, "no extension \(number) of '\(type)': the served files declare no extensions")
        case .allExtensionNumbersOfType(let type):
            guard ReflectionDescriptors.files.contains(where: { $0.symbols.contains(type) }) else {
                return error(response, "unknown type '\(type)'")
            }
            var numbers = ProtobufWriter()
            numbers.string(1, type)  // base_type_name; no extension numbers
            response.message(5, numbers)
        case .none:
            return error(
                response,
                "expected one of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services",
                code: 3)
        }
        return response.bytes
    }

    /// `file`'s descriptor and those of the files it imports, each once, the file first.
    private static func descriptors(of file: ReflectionDescriptors.File) -> ProtobufWriter {
        var answer = ProtobufWriter()
        var seen: Set<String> = []
        var pending = [file]
        while let next = pending.first {
            pending.removeFirst()
            guard seen.insert(next.name).inserted else { continue }
            answer.bytes(1, decoded[next.name] ?? [])
            pending += next.dependencies.compactMap { name in ReflectionDescriptors.files.first { $0.name == name } }
        }
        return answer
    }

    /// `response` with an `error_response` (NOT_FOUND unless `code` says otherwise).
    private static func error(_ response: ProtobufWriter, _ message: String, code: UInt64 = 5) -> [UInt8] {
        var response = response
        var error = ProtobufWriter()
        error.varint(1, code)
        error.string(2, message)
        response.message(7, error)
        return response.bytes
    }

    /// Each file's descriptor, decoded once.
    private static let decoded: [String: [UInt8]] = Dictionary(
        uniqueKeysWithValues: ReflectionDescriptors.files.map { file in
            (file.name, Array(Data(base64Encoded: file.base64.filter { !$0.isWhitespace }) ?? Data()))
        })
}

/// A `ServerReflectionRequest`: its bytes (echoed as `original_request`), `host` and what it asks.
struct ReflectionRequest: Sendable {
    enum Kind: Sendable, Equatable {
        case fileByFilename(String)
        case fileContainingSymbol(String)
        case fileContainingExtension(type: String, number: Int32)
        case allExtensionNumbersOfType(String)
        case listServices
        case none
    }

    var raw: [UInt8]
    var host = ""
    var kind = Kind.none

    /// Reads `bytes`; `nil` when they are no protobuf message.
    init?(bytes: UnsafeRawBufferPointer) {
        raw = Array(bytes)
        var reader = WireReader(bytes: bytes, range: 0..<bytes.count)
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        while !reader.atEnd {
            guard let field = reader.next() else { return nil }
            guard case .bytes(let range) = field.value else { continue }
            switch field.number {
            case 1: host = text(range)
            case 3: kind = .fileByFilename(text(range))
            case 4: kind = .fileContainingSymbol(text(range))
            case 5:
                var type = "", number: Int32 = 0
                var inner = WireReader(bytes: bytes, range: range)
                while !inner.atEnd {
                    guard let part = inner.next() else { return nil }
                    switch (part.number, part.value) {
                    case (1, .bytes(let name)): type = text(name)
                    case (2, .varint(let value)): number = Int32(truncatingIfNeeded: value)
                    default: break
                    }
                }
                kind = .fileContainingExtension(type: type, number: number)
            case 6: kind = .allExtensionNumbersOfType(text(range))
            case 7: kind = .listServices
            default: break
            }
        }
    }
}

private struct ReflectionRequestCoder: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> ReflectionRequest {
        try serializedMessageBytes.withUnsafeBytes { bytes in
            guard let request = ReflectionRequest(bytes: bytes) else {
                throw RPCError(code: .invalidArgument, message: "ServerReflectionRequest: not a protobuf message")
            }
            return request
        }
    }
}

private struct ReflectionResponseCoder: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}
