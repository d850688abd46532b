import LedgeCore
@testable import LedgeGRPC
import LedgeServing
import Testing

/// What ``ReflectionService`` answers each kind of request, read back field by field (the live
/// check with grpcio's reflection client is `GRPCReflectionTests`).
@Suite struct ReflectionServiceTests {
    /// `fields` of a protobuf message: number → the length-delimited values (varints as their value's decimal text).
    static func fields(_ bytes: [UInt8]) -> [UInt64: [[UInt8]]] {
        bytes.withUnsafeBytes { raw in
            var reader = WireReader(bytes: raw, range: 0..<raw.count)
            var found: [UInt64: [[UInt8]]] = [:]
            while !reader.atEnd, let field = reader.next() {
                switch field.value {
                case .bytes(let range): found[field.number, default: []].append(Array(raw[range]))
                case .varint(let value): found[field.number, default: []].append(Array(String(value).utf8))
                case .fixed: break
                }
            }
            return found
        }
    }

    static func request(_ build: (inout ProtobufWriter) -> Void) throws -> ReflectionRequest {
        var writer = ProtobufWriter()
        build(&writer)
        return try #require(writer.bytes.withUnsafeBytes { ReflectionRequest(bytes: $0) })
    }

    static func text(_ bytes: [UInt8]?) -> String { String(decoding: bytes ?? [], as: UTF8.self) }

    @Test func eachFilesDescriptorDecodesUnderItsName() throws {
        #expect(
            ReflectionDescriptors.files.map(\.name) == [
                "grpc_service.proto", "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
                "grpc/reflection/v1alpha/reflection.proto",
            ])
        for file in ReflectionDescriptors.files {
            let answer = Self.fields(ReflectionService.answer(try Self.request { $0.string(3, file.name) }))
            let response = try #require(answer[4]?.first)
            let descriptors = try #require(Self.fields(response)[1])
            #expect(descriptors.count == 1)
            let descriptor = Self.fields(descriptors[0])
            #expect(Self.text(descriptor[1]?.first) == file.name && !file.services.isEmpty)  // FileDescriptorProto.name
            // Every symbol the file declares (a leading dot too) leads to it.
            for symbol in file.symbols + ["." + file.symbols[0]] {
                let bySymbol = Self.fields(ReflectionService.answer(try Self.request { $0.string(4, symbol) }))
                let found = try #require(bySymbol[4]?.first, "\(symbol)")
                #expect(Self.fields(found)[1] == descriptors, "\(symbol)")
            }
        }
        let symbols = ReflectionDescriptors.files.flatMap(\.symbols)
        for symbol in [
            "inference.ModelInferRequest.InferInputTensor", "inference.GRPCInferenceService.ModelStreamInfer",
            "grpc.health.v1.HealthCheckResponse.ServingStatus",
        ] {
            #expect(symbols.contains(symbol), "\(symbol)")
        }
    }

    @Test func unknownNamesAndOtherRequestsAreErrorResponsesOnTheStream() throws {
        let cases: [(ReflectionRequest, UInt64, String)] = [
            (try Self.request { $0.string(3, "nope.proto") }, 5, "unknown file 'nope.proto'"),
            (try Self.request { $0.string(4, "inference.Nope") }, 5, "unknown symbol 'inference.Nope'"),
            (try Self.request { $0.string(6, "inference.Nope") }, 5, "unknown type 'inference.Nope'"),
            (
                try Self.request {
                    var extensionRequest = ProtobufWriter()
                    extensionRequest.string(1, "inference.ModelInferRequest")
                    extensionRequest.varint(2, 100)
                    $0.message(5, extensionRequest)
                }, 5, "no extension 100 of 'inference.ModelInferRequest': the served files declare no extensions"
            ),
            (
                try Self.request { $0.string(1, "host") }, 3,
                "expected one of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services"
            ),
        ]
        for (request, code, message) in cases {
            let answer = Self.fields(ReflectionService.answer(request))
            #expect(answer[2]?.first == request.raw)  // original_request
            let response = try #require(answer[7]?.first)
            let error = Self.fields(response)
            #expect(Self.text(error[1]?.first) == String(code) && Self.text(error[2]?.first) == message)
        }
        // A known type's extension numbers: none.
        let numbers = Self.fields(ReflectionService.answer(try Self.request { $0.string(6, "inference.ModelInferRequest") }))
        let extensionNumbers = try #require(numbers[5]?.first)
        #expect(Self.fields(extensionNumbers).mapValues { $0.map { Self.text($0) } } == [1: ["inference.ModelInferRequest"]])
        // Bytes that are no protobuf message are refused (INVALID_ARGUMENT for the call).
        #expect([UInt8]([0x1a, 0x09, 0x61]).withUnsafeBytes { ReflectionRequest(bytes: $0) } == nil)
        #expect([UInt8]([0x07]).withUnsafeBytes { ReflectionRequest(bytes: $0) } == nil)
    }
}
