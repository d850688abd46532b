import Foundation
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

@Suite(.ownThread) struct MetadataTests {
    struct ModelMetadata: Decodable {
        struct TensorMeta: Decodable, Equatable { var name: String; var datatype: String; var shape: [Int] }
        var name: String
        var versions: [String]
        var platform: String
        var inputs: [TensorMeta]
        var outputs: [TensorMeta]
    }

    @Test func healthAndServerMetadata() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/health/live", method: .get) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == #"{"live":true}"#)
            }
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2", method: .get) { response in
                struct Server: Decodable { var name: String; var version: String; var extensions: [String] }
                let server = try response.json(Server.self)
                #expect(server.name == "ledge")
                #expect(server.version == "0.1.0")
                #expect(server.extensions.contains("binary_tensor_data"))
            }
        }
    }

    /// From graceful shutdown on the server is not ready (load balancers stop sending it requests);
    /// it stays live and its models stay ready, as Triton's while it exits.
    @Test func notReadyWhileDraining() async throws {
        let repository = try TestServer.repository()
        repository.beginDraining()
        try await TestServer.withApp(repository: repository) { client in
            try await client.execute(uri: "/v2/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == #"{"ready":false}"#)
            }
            try await client.execute(uri: "/v2/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/models/add/ready", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func modelMetadataForBothPlatforms() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/efficientnet", method: .get) { response in
                #expect(response.status == .ok)
                let model = try response.json(ModelMetadata.self)
                #expect(model.name == "efficientnet")
                #expect(model.versions == ["1"])
                #expect(model.platform == "tflite")
                #expect(model.inputs == [.init(name: "images", datatype: "UINT8", shape: [1, 224, 224, 3])])
                #expect(model.outputs == [.init(name: "Softmax", datatype: "UINT8", shape: [1, 1000])])
            }
            try await client.execute(uri: "/v2/models/gen/versions/1", method: .get) { response in
                let model = try response.json(ModelMetadata.self)
                #expect(model.platform == "onnxruntime_onnx")
                #expect(model.inputs == [.init(name: "input", datatype: "FP32", shape: [-1, 3, 224, 224])])
                #expect(model.outputs == [.init(name: "output", datatype: "FP32", shape: [-1, 1000])])
            }
            try await client.execute(uri: "/v2/models/add/ready", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func unknownModelsVersionsAndBadNames() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/models/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage == "unknown model 'nope'")
            }
            try await client.execute(uri: "/v2/models/gen/versions/7", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage == "model 'gen' has no version '7': expected 1")
            }
            try await client.execute(uri: "/v2/models/../ready", method: .get) { response in
                #expect(response.status == .badRequest || response.status == .notFound)
            }
            try await client.execute(uri: "/v2/models/..%2Fgen", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage == "model name '../gen' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')")
            }
            try await client.execute(uri: "/v2/models/gen/ready", method: .get) { #expect($0.status == .ok) }
        }
    }
}
