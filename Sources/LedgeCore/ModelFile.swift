public import Foundation

/// A model file read into memory, with its format told from its content.
///
/// The format comes from the bytes, not the extension: a TFLite flatbuffer
/// carries the identifier `TFL3` at bytes 4–7; an ONNX model is a protobuf
/// `ModelProto` whose top-level fields parse to the end and include a graph.
public struct ModelFile: Sendable {
    public let path: String
    public let format: ModelFormat
    /// The bytes of the file.
    public let data: Data
    /// The same bytes, 64-byte aligned: runtimes that keep reading the model
    /// (LiteRT) use them in place, so sessions opened from one `ModelFile`
    /// share one copy while `data` goes away with the `ModelFile`. `nil` for
    /// ONNX models: ONNX Runtime copies the model into its own structures.
    public let storage: TensorStorage?

    /// Reads and identifies `path`, throwing a one-line ``LedgeError`` for a
    /// missing, empty or unrecognized file.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LedgeError.invalidModel("model file not found: \(path)")
        }
        guard !isDirectory.boolValue else {
            throw LedgeError.invalidModel("model path is a directory, expected a .tflite or .onnx file: \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidModel("cannot read model file: \(path)")
        }
        guard !data.isEmpty else {
            throw LedgeError.invalidModel("model file is empty: \(path)")
        }
        self.path = path
        self.data = data
        self.format = try Self.detect(data, path: path)
        if format == .tflite {
            let storage = TensorStorage(byteCount: data.count)
            data.copyBytes(to: storage.baseAddress.assumingMemoryBound(to: UInt8.self), count: data.count)
            self.storage = storage
        } else {
            self.storage = nil
        }
    }

    /// Tells the format of `data`, or throws naming `path` and what was expected.
    public static func detect(_ data: Data, path: String) throws -> ModelFormat {
        if data.count >= 8, data[data.startIndex + 4 ..< data.startIndex + 8].elementsEqual("TFL3".utf8) {
            return .tflite
        }
        switch ProtobufScan.topLevelFields(data) {
        case .success(let fields) where fields.contains(7):  // ModelProto.graph
            return .onnx
        case .failure(let offset) where fields(startWithModelProtoTag: data):
            throw LedgeError.invalidModel(
                "\(path): truncated or corrupt ONNX model (protobuf field at byte \(offset) runs past the end or is malformed)")
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

/// A minimal protobuf wire-format walker: enough to tell an ONNX file from noise.
public enum ProtobufScan {
    public enum Result: Sendable {
        /// The field numbers seen at the top level.
        case success(Set<Int>)
        /// The byte offset where parsing failed.
        case failure(Int)
    }

    /// Walks the top-level fields of a message to the end of `data`.
    public static func topLevelFields(_ data: Data) -> Result {
        data.withUnsafeBytes { raw -> Result in
            let bytes = raw.bindMemory(to: UInt8.self)
            var seen = Set<Int>()
            var i = 0
            while i < bytes.count {
                let start = i
                guard let key = readVarint(bytes, &i) else { return .failure(start) }
                let field = Int(key >> 3), wire = key & 7
                guard field > 0 else { return .failure(start) }
                switch wire {
                case 0: guard readVarint(bytes, &i) != nil else { return .failure(start) }
                case 1: i += 8
                case 2:
                    guard let n = readVarint(bytes, &i), n <= UInt64(bytes.count - i) else { return .failure(start) }
                    i += Int(n)
                case 5: i += 4
                default: return .failure(start)
                }
                guard i <= bytes.count else { return .failure(start) }
                seen.insert(field)
            }
            return .success(seen)
        }
    }

    /// Reads a base-128 varint at `i` (before `end`, default the buffer's end),
    /// advancing it; `nil` when malformed or cut short.
    public static func readVarint(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int, end: Int? = nil) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        let end = min(end ?? bytes.count, bytes.count)
        while i < end, shift < 64 {
            let b = bytes[i]
            i += 1
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
