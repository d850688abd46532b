#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

extension TFLiteModel {
    /// The model's metadata: the `TFLITE_METADATA` flatbuffer (name, description,
    /// version, author, associated files, input normalization) and the labels
    /// embedded in the zip at the file's tail.
    ///
    /// Throws `invalidModel` when the metadata flatbuffer is corrupt.
    public func modelMetadata(data: Data, path: String) throws -> ModelMetadata {
        var result = ModelMetadata()
        result.description = description
        var files: [TFLiteMetadata.AssociatedFile] = []
        if let bytes = metadataBytes("TFLITE_METADATA", in: data) {
            do {
                let metadata = try TFLiteMetadata.parse([UInt8](bytes))
                result.name = metadata.name
                result.description = metadata.description ?? description
                result.version = metadata.version
                result.author = metadata.author
                result.normalization = metadata.normalization
                files = metadata.associatedFiles
            } catch let error as FlatBufferError {
                throw LedgeError.invalidModel("\(path): truncated or corrupt TFLite model (\(error.what))")
            }
        }
        result.associatedFiles = files.map(\.name)
        if let archive = ZipTail([UInt8](data)) {
            let labelsName = files.first { $0.type == TFLiteMetadata.AssociatedFile.tensorAxisLabels }?.name
            let entry =
                archive.entries.first { $0.name == labelsName }
                ?? archive.entries.first { $0.name.lowercased().hasSuffix(".txt") }
            if let entry, let bytes = archive.contents(of: entry) {
                result.labels = Self.labels(bytes)
            }
            for entry in archive.entries where !result.associatedFiles.contains(entry.name) {
                result.associatedFiles.append(entry.name)
            }
        }
        for (name, _) in metadata where name != "TFLITE_METADATA" {
            guard let bytes = metadataBytes(name, in: data), bytes.count <= 256 else { continue }
            let text = bytes.prefix { $0 != 0 }
            if !text.isEmpty, text.allSatisfy({ $0 >= 32 && $0 < 127 }) {
                result.properties[name] = String(decoding: text, as: UTF8.self)
            }
        }
        return result
    }

    /// One label per line; `\r\n` accepted, trailing blank lines dropped.
    static func labels(_ bytes: [UInt8]) -> [String] {
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while let last = lines.last, last.trimmingWhitespace().isEmpty { lines.removeLast() }
        return lines
    }
}
