import Foundation
import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeTesting
import LedgeVision
import Logging
import Testing

/// Encoded images as a `BYTES` input: decoded and preprocessed into the model's input tensor as
/// `/classify` prepares them, checked against the model's batch, and counted as `compute_input`
/// (the live checks with tritonclient are in check_grpc.py and check_tritonclient.py).
@Suite(.ownThread) struct EncodedImagesTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func repository() throws -> ModelRepository {
        try ModelRepository.load(
            .files([
                ModelFileSource(path: Fixtures.model("efficientnet_lite0.tflite"), name: "efficientnet"),
                ModelFileSource(path: Fixtures.model("mobilenet_gen.onnx"), name: "mobilenet"),
            ]),
            options: RepositoryOptions(instances: 1), logger: logger)
    }

    static func file(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: Fixtures.image(name))) }

    static func request(_ name: String, _ images: [Data], shape: [Int]? = nil, binary: Bool = false) -> InferenceRequest {
        let bytes = BytesElements.encode(images)
        let values: InferenceRequest.Input.Values = binary ? .binary(size: bytes.count) : .raw(bytes, field: "raw_input_contents[0]")
        return InferenceRequest(
            inputs: [.init(name: name, datatype: "BYTES", shape: shape ?? [images.count], values: values)], binary: binary ? bytes : nil,
            jsonByteCount: 0)
    }

    @Test func imagesBecomeTheTensorClassifyPrepares() async throws {
        let repository = try Self.repository()
        let model = try repository.model(named: "efficientnet")
        let pipeline = try #require(model.imagePipeline)
        for (name, binary) in [("chelsea.jpg", false), ("chelsea.png", true)] {
            let prepared = try model.prepare(Self.request("images", [try Self.file(name)], binary: binary))
            let tensor = try pipeline.prepare(data: try Self.file(name), name: name).tensor
            #expect(prepared.inputs.count == 1 && prepared.inputs[0].shape == tensor.shape, "\(name)")
            #expect(prepared.inputs[0].withUnsafeBytes { Data($0) } == tensor.withUnsafeBytes { Data($0) }, "\(name)")
            #expect(prepared.imageInput != nil)
        }
        // A batch of two on the model with a dynamic batch: the two tensors one after the other.
        let mobilenet = try repository.model(named: "mobilenet")
        let two = try mobilenet.prepare(Self.request("input", [try Self.file("chelsea.jpg"), try Self.file("coffee.png")]))
        let each = try ["chelsea.jpg", "coffee.png"].map { try mobilenet.prepare(Self.request("input", [try Self.file($0)])).inputs[0] }
        #expect(two.inputs[0].shape == [2, 3, 224, 224])
        #expect(two.inputs[0].withUnsafeBytes { Data($0) } == each.map { $0.withUnsafeBytes { Data($0) } }.reduce(Data(), +))
        // Counted as compute_input, as a classify's decode is; a tensor request adds 0 ns.
        _ = try await repository.infer(Self.request("images", [try Self.file("chelsea.jpg")]), on: model)
        let statistics = try #require(try repository.statistics(name: "efficientnet", version: nil).first)
        #expect(statistics.computeInput.count == 1 && statistics.computeInput.ns > 0)
    }

    @Test func refusalsNameTheInput() throws {
        let repository = try Self.repository()
        let model = try repository.model(named: "efficientnet")
        let png = try Self.file("chelsea.png")
        let two = BytesElements.encode([png, png])
        let cases: [(InferenceRequest, String)] = [
            (
                Self.request("images", [png, png]),
                "input 'images': 2 encoded images make a tensor of shape [2, 224, 224, 3], the model expects [1, 224, 224, 3]"
            ),
            (
                Self.request("images", [png], shape: [1, 1]),
                "input 'images': encoded images take shape [N], N from 1 to 64 (one JPEG or PNG per element), got [1, 1]"
            ),
            (
                Self.request("images", [png], shape: [0]),
                "input 'images': encoded images take shape [N], N from 1 to 64 (one JPEG or PNG per element), got [0]"
            ),
            (Self.request("images", [Data("GIF89a".utf8)]), "input 'images': not a JPEG or PNG image"),
            (
                InferenceRequest(
                    inputs: [.init(name: "images", datatype: "BYTES", shape: [1], values: .raw(two.prefix(two.count - 1), field: "raw"))],
                    jsonByteCount: 0),
                "input 'images': more BYTES elements than its shape's 1"
            ),
            (
                InferenceRequest(
                    inputs: [.init(name: "images", datatype: "BYTES", shape: [2], values: .raw(two.prefix(png.count + 6), field: "raw"))],
                    jsonByteCount: 0),
                "input 'images': 2 encoded images make a tensor of shape [2, 224, 224, 3], the model expects [1, 224, 224, 3]"
            ),
            (
                InferenceRequest(
                    inputs: [.init(name: "images", datatype: "BYTES", shape: [1], values: .raw(two.prefix(png.count + 2), field: "raw"))],
                    jsonByteCount: 0),
                "input 'images': BYTES element 0 says \(png.count) bytes, \(png.count - 2) are left"
            ),
            (
                InferenceRequest(
                    inputs: [.init(name: "images", datatype: "BYTES", shape: [1], values: .raw(Data([9, 0, 0, 0, 1]), field: "raw"))],
                    jsonByteCount: 0),
                "input 'images': BYTES element 0 says 9 bytes, 1 are left"
            ),
            (
                InferenceRequest(
                    inputs: [.init(name: "images", datatype: "BYTES", shape: [1], values: .raw(Data([9, 0]), field: "raw"))], jsonByteCount: 0),
                "input 'images': BYTES element 0 is cut short: 2 bytes where its 4-byte length goes"
            ),
            (
                InferenceRequest(
                    inputs: [.init(name: "images", datatype: "BYTES", shape: [1], values: .json(.array([.string("x")])))], jsonByteCount: 10),
                "input 'images': encoded images go in binary data (parameters.binary_data_size), as base64 strings with parameters.content_type \"base64\", "
                    + "or in gRPC's raw_input_contents or contents.bytes_contents"
            ),
        ]
        let negative = InferenceRequest(
            inputs: [.init(name: "images", datatype: "BYTES", shape: [1], values: .binary(size: -5))], binary: two, jsonByteCount: 0)
        for (request, message) in cases + [(negative, "input 'images': binary_data_size -5 is negative: expected a byte count")] {
            #expect(throws: LedgeError.invalidInput(message)) { try model.prepare(request) }
        }
        let mobilenet = try repository.model(named: "mobilenet")
        #expect(throws: LedgeError.invalidInput("input 'input': 0 BYTES elements, its shape says 1")) {
            try mobilenet.prepare(
                InferenceRequest(
                    inputs: [.init(name: "input", datatype: "BYTES", shape: [1], values: .raw(Data(), field: "raw"))], jsonByteCount: 0))
        }
    }
}
