#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
internal import Synchronization

/// A model file read into memory, with its format told from its content.
///
/// The format comes from the bytes, not the extension: a TFLite flatbuffer
/// carries the identifier `TFL3` at bytes 4–7; an ONNX model is a protobuf
/// `ModelProto` that decodes (as the few fields of `Protos/onnx_summary.proto`) and has a graph.
public struct ModelFile: Sendable {
    public let path: String
    public let format: ModelFormat
    /// The bytes of the file.
    public let data: Data
    /// The copy of a TFLite model's bytes its sessions share (see ``sharedStorage(_:)``).
    private let storage = Memo<TensorStorage?>()
    /// The file's digest once someone computed it (cache keys: probe results,
    /// optimized graphs): the copies of one `ModelFile` share it.
    package let digest = Memo<String>()
    /// What the sessions of this file share beyond its bytes, made by the first session that asks
    /// (ONNX Runtime's weights: LedgeONNX's `ONNXWeightShare`); shared by the copies of this `ModelFile`.
    package let sessionShare = Memo<any Sendable>()

    /// Reads and identifies `path`, throwing a one-line ``LedgeError`` for a
    /// missing, empty or unrecognized file.
    public init(path: String) throws {
        let data = try CheckedFile.read(path, kind: "model", expected: "a .tflite or .onnx file", code: .invalidModel)
        self.path = path
        self.data = data
        self.format = try Self.detect(data, path: path)
    }

    /// The bytes, 64-byte aligned, for runtimes that keep reading the model (LiteRT) and use
    /// them in place: made by the first session that asks — by `make` (a copy where it chooses,
    /// e.g. a file mapping; `nil`: in memory) — and shared by every later one, so the instances
    /// of a model cost one copy, while `data` goes away with the `ModelFile`. `nil` for ONNX
    /// models: ONNX Runtime copies the model into its own structures.
    package func sharedStorage(_ make: (Data) -> TensorStorage?) -> TensorStorage? {
        guard format == .tflite else { return nil }
        return storage.get {
            if let made = make(data) { return made }
            let copy = TensorStorage(byteCount: data.count)
            data.copyBytes(to: copy.baseAddress.assumingMemoryBound(to: UInt8.self), count: data.count)
            return copy
        }
    }

    /// An ONNX model already in memory (one Ledge built or changed), named `path` in errors.
    package init(onnx data: Data, path: String) {
        self.path = path
        self.data = data
        self.format = .onnx
    }

    /// Tells the format of `data`, or throws naming `path` and what was expected.
    public static func detect(_ data: Data, path: String) throws -> ModelFormat {
        if data.count >= 8, data[data.startIndex + 4..<data.startIndex + 8].elementsEqual("TFL3".utf8) {
            return .tflite
        }
        switch OnnxSummary_ModelSummary.decoding(data) {
        case .success(let model) where model.hasGraph:
            return .onnx
        case .failure(let failure) where fields(startWithModelProtoTag: data):
            throw LedgeError.invalidModel("\(path): truncated or corrupt ONNX model (\(failure.reason))")
        default:
            throw LedgeError.invalidModel(
                "\(path): not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf)\(Self.lookalike(data))")
        }
    }

    /// ONNX files start with `ir_version` (field 1, varint): byte 0x08.
    private static func fields(startWithModelProtoTag data: Data) -> Bool {
        data.first == 0x08
    }

    private static func lookalike(_ data: Data) -> String {
        let head = [UInt8](data.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "; it looks like a PNG image" }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "; it looks like a JPEG image" }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "; it looks like a zip archive" }
        if !head.isEmpty, data.prefix(512).allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) }) {
            return "; it looks like a text file"
        }
        return ""
    }
}

/// A value computed at most once and shared by every copy of the struct holding it.
package final class Memo<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    package init() {}

    /// The value, computing it with `make` the first time.
    package func get(_ make: () -> Value) -> Value {
        value.withLock { value in
            if let value { return value }
            let made = make()
            value = made
            return made
        }
    }
}
