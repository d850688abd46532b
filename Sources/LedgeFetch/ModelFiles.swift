#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore

extension FetchedModel {
    /// The model files (`.tflite`, `.onnx`) in what was fetched, each with the name to serve it
    /// under (`nil`: the file's name without its extension), sorted by path:
    ///
    /// - a file: itself (named ``FetchedModel/name``: a Hub repository's model, its repository's);
    /// - a folder (an unpacked archive): the model files at its top, and for each sub-folder
    ///   `NAME` the one model file in `NAME/`, else in its highest numbered version folder
    ///   `NAME/<n>/` (Triton's layout), named `NAME`.
    public func modelFiles() throws -> [(path: String, name: String?)] {
        guard LocalFiles.kind(path) == .directory else { return [(path, name)] }
        var found: [(path: String, name: String?)] = Self.models(in: path).map { (path + "/" + $0, nil) }
        for folder in Self.entries(path) where LocalFiles.kind(path + "/" + folder) == .directory {
            let top = path + "/" + folder
            let versions = Self.entries(top).filter { UInt64($0) != nil && LocalFiles.kind(top + "/" + $0) == .directory }
            let candidates = [top] + versions.sorted { UInt64($0)! > UInt64($1)! }.map { top + "/" + $0 }
            guard let home = candidates.first(where: { !Self.models(in: $0).isEmpty }) else { continue }
            let models = Self.models(in: home)
            guard models.count == 1 else {
                throw LedgeError.invalidModel("model folder '\(home)': expected one .tflite or .onnx file, found \(models.count)")
            }
            found.append((home + "/" + models[0], folder))
        }
        guard !found.isEmpty else {
            throw LedgeError.invalidModel(
                "'\(path)' holds no model: expected MODEL.onnx (or .tflite), NAME/MODEL.onnx or NAME/1/MODEL.onnx")
        }
        return found.sorted { $0.path < $1.path }
    }

    private static func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    private static func models(in folder: String) -> [String] {
        LocalFiles.files(in: folder).filter { $0.hasSuffix(".onnx") || $0.hasSuffix(".tflite") }.sorted()
    }
}
