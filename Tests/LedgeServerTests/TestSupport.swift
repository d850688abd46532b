import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeCore
import LedgeEngine
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// The served fixture models: efficientnet_lite0 (uint8 TFLite), the generated
/// MobileNet-like ONNX model (float32, dynamic batch) and the tiny Add model.
enum TestServer {
    static let logger: Logger = {
        var logger = Logger(label: "ledge.serve.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A repository folder of links to the fixtures, one sub-folder per model.
    static func repositoryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-serve-\(UUID().uuidString)").path
        for (name, file) in [("efficientnet", "efficientnet_lite0.tflite"), ("gen", "mobilenet_gen.onnx"), ("add", "add.onnx")] {
            try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: "\(folder)/\(name)/\(file)", withDestinationPath: Fixtures.model(file))
        }
        return folder
    }

    static func repository(
        instances: Int = 1, queueLimit: Int = 64, allowClientSharedMemory: Bool = false, trace: TraceSettings = TraceSettings()
    ) throws -> ModelRepository {
        let folder = try repositoryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try ModelRepository.load(
            .repository(path: folder),
            options: RepositoryOptions(
                instances: instances, queueLimit: queueLimit, allowClientSharedMemory: allowClientSharedMemory, trace: trace),
            logger: logger)
    }

    /// Runs `body` against the app over the fixture repository.
    static func withApp<T>(
        _ setup: TestingSetup = .router, maxBodySize: Int = 8 << 20, repository: ModelRepository? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let app = buildApplication(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxBodySize: maxBodySize),
            repository: try repository ?? Self.repository(), logger: logger)
        return try await app.test(setup, body)
    }
}

extension TestResponse {
    /// The body decoded as JSON of type `T`.
    func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    /// The `error` of a `{"error": "…"}` body.
    var errorMessage: String? {
        (try? json([String: String].self))?["error"]
    }
}

extension ByteBuffer {
    init(data: Data) { self.init(bytes: data) }
}

/// V2 JSON bodies built for the tests.
enum V2JSON {
    static func input(_ name: String, _ datatype: String, _ shape: [Int], _ data: [Any]) -> [String: Any] {
        ["name": name, "datatype": datatype, "shape": shape, "data": data]
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))
    }
}

/// Decoded V2 inference responses.
struct InferResponse: Decodable {
    struct Output: Decodable {
        struct Parameters: Decodable { var binary_data_size: Int? }
        var name: String
        var datatype: String
        var shape: [Int]
        var data: [Double]?
        var parameters: Parameters?
    }
    var model_name: String
    var model_version: String
    var id: String?
    var outputs: [Output]
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]
