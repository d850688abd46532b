#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Triton's versioned layout beside Ledge's flat one: `NAME/config.pbtxt`
/// (optional), `NAME/<version>/model.onnx` or `model.tflite`, `NAME/labels.txt`
/// (optional); or `NAME/file.onnx|.tflite`, which is version 1.
extension RepositoryLayout {
    /// One model folder of a repository.
    public struct ModelFolder: Sendable, Hashable {
        public var name: String
        /// `REPOSITORY/NAME`.
        public var path: String
        /// `NAME/config.pbtxt` when present.
        public var configPath: String?
        /// The versions, sorted by number (one, numbered 1, in the flat layout).
        public var versions: [ModelVersionFile]
        /// `NAME/labels.txt` when present.
        public var labels: String?

        public init(name: String, path: String, configPath: String?, versions: [ModelVersionFile], labels: String?) {
            self.name = name
            self.path = path
            self.configPath = configPath
            self.versions = versions
            self.labels = labels
        }
    }

    /// One version of a model: its number and its model file.
    public struct ModelVersionFile: Sendable, Hashable {
        public var number: Int
        /// The path of the model file.
        public var model: String

        public init(number: Int, model: String) {
            self.number = number
            self.model = model
        }
    }

    /// The model folder names of `repository`, sorted; hidden entries and plain
    /// files skipped. Names are not judged here: ``folder(repository:name:)``
    /// refuses an invalid one, so that one bad folder fails alone.
    /// Throws only when `repository` is not a readable directory.
    public static func modelNames(_ repository: String) throws -> [String] {
        guard PathName.isDirectory(repository) else {
            throw LedgeError.usage("model repository '\(repository)' is not a directory: expected a folder of model folders")
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: repository) else {
            throw LedgeError.usage("model repository '\(repository)' cannot be read: expected a readable folder")
        }
        return entries.filter { !$0.hasPrefix(".") && PathName.isDirectory(repository + "/" + $0) }.sorted()
    }

    /// One model folder: Triton's layout (version folders named by positive integers
    /// without leading zeros, each holding exactly one `.onnx` or `.tflite` file —
    /// `model.onnx` or `model.tflite` in Triton's naming; other subfolders ignored,
    /// as Triton does) or the flat layout (one model file in the folder: version 1).
    /// Throws ``LedgeError/Code/usage`` for an invalid name, ``LedgeError/Code/notFound``
    /// for a missing folder, ``LedgeError/Code/invalidModel`` for a folder with no model,
    /// with both layouts, with two model files, or with a version folder that does not
    /// hold exactly one.
    public static func folder(repository: String, name: String) throws -> ModelFolder {
        if let problem = problem(name: name, what: "model folder") { throw LedgeError.usage(problem) }
        let path = PathName.appending(name, to: repository)
        guard PathName.isDirectory(path) else {
            throw LedgeError.notFound("model '\(name)' not found: expected a folder \(path)")
        }
        return try folder(at: path, name: name)
    }

    /// The model folder at `path` (a directory), in either layout, served as `name`: what
    /// ``folder(repository:name:)`` reads, for a folder given on its own (`ledge serve -m DIR`,
    /// KServe's `/mnt/models`). Throws ``LedgeError/Code/invalidModel`` as that does.
    public static func folder(at path: String, name: String) throws -> ModelFolder {
        let path = PathName.collapsingSlashes(path)
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        func file(_ entry: String) -> String? {
            entries.contains(entry) && !PathName.isDirectory(path + "/" + entry) ? path + "/" + entry : nil
        }
        let numbered = entries.compactMap { entry in versionNumber(entry).map { (number: $0, folder: path + "/" + entry) } }
            .filter { PathName.isDirectory($0.folder) }.sorted { $0.number < $1.number }
        let flat = modelFiles(in: path, entries: entries)
        if !numbered.isEmpty, !flat.isEmpty {
            let list = numbered.map { String($0.number) }.joined(separator: ", ")
            throw LedgeError.invalidModel(
                "model folder '\(path)' has both version folders (\(list)) and a model file (\(flat.joined(separator: ", "))): "
                    + "expected NAME/<version>/model.onnx or NAME/model.onnx, not both")
        }
        var versions: [ModelVersionFile] = []
        // config.pbtxt's default_model_filename names the file in each version folder (read only when it is there).
        let configPath = file("config.pbtxt")
        let named = try configPath.flatMap { path -> String? in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("default_model_filename") else { return nil }
            return try ModelConfig.parse(text, file: path).defaultModelFilename
        }
        for version in numbered {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: version.folder)) ?? []).sorted()
            let models = modelFiles(in: version.folder, entries: files.filter { !$0.hasPrefix(".") })
            if let named {
                guard models.contains(named) else {
                    throw LedgeError.invalidModel(
                        "model '\(name)' version folder '\(version.folder)': default_model_filename '\(named)' is not there: found \(models.isEmpty ? "no model file" : models.joined(separator: ", "))"
                    )
                }
                versions.append(ModelVersionFile(number: version.number, model: version.folder + "/" + named))
                continue
            }
            guard models.count == 1, let model = models.first else {
                let found = models.isEmpty ? "none" : "\(models.count) (\(models.joined(separator: ", ")))"
                throw LedgeError.invalidModel(
                    "model '\(name)' version folder '\(version.folder)': expected one model.onnx or model.tflite, found \(found)")
            }
            versions.append(ModelVersionFile(number: version.number, model: version.folder + "/" + model))
        }
        if numbered.isEmpty {
            var models = flat.map { path + "/" + $0 }
            var found = flat.isEmpty ? "none" : "\(flat.count) (\(flat.joined(separator: ", ")))"
            if models.isEmpty, PathName.isDirectory(path + "/onnx") {
                // A Hugging Face Hub repository's layout: the model in onnx/ (model.onnx among its
                // quantized and fp16 siblings), the config files on top (ModelSidecar).
                let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path + "/onnx")) ?? []).sorted()
                let inside = modelFiles(in: path + "/onnx", entries: entries)
                models = (inside.count == 1 ? inside : inside.filter { $0 == "model.onnx" }).map { path + "/onnx/" + $0 }
                if !inside.isEmpty { found = "\(inside.count) in onnx/ (\(inside.joined(separator: ", "))), none model.onnx" }
            }
            guard models.count == 1, let model = models.first else {
                throw LedgeError.invalidModel(
                    "model folder '\(path)': expected version folders NAME/<n>/model.onnx or .tflite, one .onnx or .tflite file, or onnx/model.onnx, found \(found)"
                )
            }
            versions = [ModelVersionFile(number: 1, model: model)]
        }
        return ModelFolder(name: name, path: path, configPath: configPath, versions: versions, labels: file("labels.txt"))
    }

    /// The version a folder name stands for: a positive decimal integer without a leading zero
    /// (Triton ignores other subfolders).
    public static func versionNumber(_ entry: String) -> Int? {
        guard let first = entry.first, first != "0", entry.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return Int(entry)
    }

    private static func modelFiles(in folder: String, entries: [String]) -> [String] {
        entries.filter { ($0.hasSuffix(".onnx") || $0.hasSuffix(".tflite")) && !PathName.isDirectory(folder + "/" + $0) }
    }
}
