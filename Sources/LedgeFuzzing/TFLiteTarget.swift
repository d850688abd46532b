#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeLiteRT

/// FuzzTFLite: the bytes as a `.tflite` file through what reads it before LiteRT does:
/// format detection, the bounds-checked flatbuffer reader and validator (`TFLiteModel`),
/// then the metadata flatbuffer, the zip of associated files at its tail (inflated) and
/// the operator summary `ledge inspect` prints.
///
/// Invariants: nothing traps; every refusal is a one-line `invalidModel` ``LedgeError``;
/// what the reader accepts is a TFLite file to detection, and every index it hands on
/// (tensors, operator codes, buffers, subgraphs) is in range.
enum TFLiteTarget {
    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.tflite
        let data = Data(input)
        let model: TFLiteModel
        do {
            model = try TFLiteModel(data: data, path: "fuzz.tflite")
        } catch {
            try target.expectLedgeError(error, from: "TFLiteModel", codes: [.invalidModel], input)
            return
        }
        if (try? ModelFile.detect(data, path: "fuzz.tflite")) != .tflite {
            throw target.failure("the reader accepted a file detection does not call TFLite", input)
        }
        for (s, subgraph) in model.subgraphs.enumerated() {
            for index in subgraph.inputs + subgraph.outputs where !subgraph.tensors.indices.contains(index) {
                throw target.failure("subgraphs[\(s)] names tensor \(index) of \(subgraph.tensors.count)", input)
            }
            for index in subgraph.operatorCodeIndices where !model.operatorCodes.indices.contains(index) {
                throw target.failure("subgraphs[\(s)] names operator code \(index) of \(model.operatorCodes.count)", input)
            }
            for tensor in subgraph.tensors where !model.buffers.indices.contains(tensor.buffer) {
                throw target.failure("a tensor names buffer \(tensor.buffer) of \(model.buffers.count)", input)
            }
        }
        for signature in model.signatureDefs where !model.subgraphs.indices.contains(signature.subgraphIndex) {
            throw target.failure("a signature names subgraph \(signature.subgraphIndex)", input)
        }
        for index in model.buffers.indices {
            if let bytes = model.bufferBytes(index, in: data), bytes.count > data.count {
                throw target.failure("buffer \(index) is larger than the file", input)
            }
        }
        _ = model.operatorSummary
        _ = model.quantizedVerdict
        do {
            _ = try model.modelMetadata(data: data, path: "fuzz.tflite")
        } catch {
            try target.expectLedgeError(error, from: "modelMetadata", codes: [.invalidModel], input)
        }
    }
}
