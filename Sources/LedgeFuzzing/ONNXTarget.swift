#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeONNX

/// FuzzONNX: the bytes as a `.onnx` file through what Ledge reads itself before ONNX
/// Runtime does: format detection (the protobuf walker over the top-level fields) and the
/// `ModelProto` summary (versions, producer, opsets, nodes, initializers, the quantization
/// verdict) that `ledge inspect` and the model's metadata show.
///
/// Invariants: nothing traps; detection refuses with a one-line `invalidModel`
/// ``LedgeError``; a file the summary reads is one detection calls ONNX (or TFLite, whose
/// identifier it checks first); the operator counts add up to at least one per name.
enum ONNXTarget {
    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.onnx
        let data = Data(input)
        var format: ModelFormat?
        do {
            format = try ModelFile.detect(data, path: "fuzz.onnx")
        } catch {
            try target.expectLedgeError(error, from: "ModelFile.detect", codes: [.invalidModel], input)
        }
        guard let summary = ONNXModelSummary.scan(data) else { return }
        if format == nil { throw target.failure("the summary read a file detection refuses", input) }
        if let bad = summary.operators.first(where: { $0.count < 1 }) {
            throw target.failure("operator \(bad.name) counted \(bad.count) times", input)
        }
        var info = ModelInfo(path: "fuzz.onnx", format: .onnx, runtimeVersion: "0", sizeBytes: data.count, inputs: [], outputs: [])
        summary.apply(to: &info)
        if info.operators.count != summary.operators.count { throw target.failure("apply lost operators", input) }
    }
}
