#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The on-disk layout of a model repository, shared by the server (which loads
/// it) and the packager (which copies it into an image): `DIR/NAME/` holding
/// one `.tflite` or `.onnx` file and optionally `labels.txt`.
public enum RepositoryLayout {
    /// One model of a repository (or one `-m FILE [--name N]`).
    public struct Entry: Sendable, Hashable {
        /// The model's name: its folder, or the file's name without extension.
        public var name: String
        /// The model file.
        public var model: String
        /// `labels.txt` beside it, if any.
        public var labels: String?

        public init(name: String, model: String, labels: String?) {
            self.name = name
            self.model = model
            self.labels = labels
        }
    }

    /// Entries for model files given one by one: the name is `name` or the
    /// file's name without its extension. Names are checked and unique.
    ///
    /// A path may also be a model folder (``folder(at:name:)``: one model file or version
    /// folders, `labels.txt`, `config.pbtxt`; named after the folder): its entry is its highest
    /// version with its labels. Unless `wholeFolders` (the server, which reads the folder
    /// itself), a folder with `config.pbtxt` or several versions is refused: the entry would
    /// lose them.
    public static func entries(files: [(path: String, name: String?)], wholeFolders: Bool = false) throws -> [Entry] {
        let entries = try files.map { file in
            if PathName.isDirectory(file.path) { return try entry(folder: file.path, name: file.name, whole: wholeFolders) }
            let base = PathName.lastComponent(file.path)
            let ext = PathName.pathExtension(file.path)
            let name = file.name ?? (ext.isEmpty ? base : String(base.dropLast(ext.count + 1)))
            try validate(name: name, what: "model name")
            return Entry(name: name, model: file.path, labels: nil)
        }
        try checkUnique(entries)
        return entries
    }

    /// The entry of a model folder given as a path: served as `name`, else the folder's own name.
    private static func entry(folder path: String, name: String?, whole: Bool) throws -> Entry {
        let name = name ?? PathName.lastComponent(path)
        try validate(name: name, what: "model name")
        let folder = try folder(at: path, name: name)
        guard whole || (folder.configPath == nil && folder.versions.count == 1), let latest = folder.versions.last else {
            let kept = [folder.configPath.map { _ in "config.pbtxt" }, folder.versions.count > 1 ? "\(folder.versions.count) versions" : nil]
            throw LedgeError.usage(
                "model folder '\(path)' has \(kept.compactMap { $0 }.joined(separator: " and ")): "
                    + "give its parent folder with --model-repository to keep them, or its model file")
        }
        return Entry(name: name, model: latest.model, labels: folder.labels)
    }

    /// The models of the repository at `path`, sorted by name, names checked.
    public static func scan(_ path: String) throws -> [Entry] {
        let fm = FileManager.default
        guard PathName.isDirectory(path) else {
            throw LedgeError.usage("model repository '\(path)' is not a directory")
        }
        let entries = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        var found: [Entry] = []
        for entry in entries.sorted() where !entry.hasPrefix(".") {
            let folder = path + "/" + entry
            guard PathName.isDirectory(folder) else { continue }
            try validate(name: entry, what: "model folder")
            let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            let models = files.filter { $0.hasSuffix(".tflite") || $0.hasSuffix(".onnx") }
            guard models.count == 1, let model = models.first else {
                throw LedgeError.usage("model folder '\(folder)': expected one .tflite or .onnx file, found \(models.count)")
            }
            let labels = files.contains("labels.txt") ? folder + "/labels.txt" : nil
            found.append(Entry(name: entry, model: folder + "/" + model, labels: labels))
        }
        guard !found.isEmpty else {
            throw LedgeError.usage("model repository '\(path)' has no model folders: expected DIR/NAME/model.tflite or .onnx")
        }
        return found
    }

    /// Why `name` cannot name a model, or `nil` when it can: one path segment of safe characters.
    ///
    /// One pass over the UTF-8 bytes: the check runs for every inference request.
    public static func problem(name: String, what: String) -> String? {
        var previous: UInt8 = 0
        var ok = !name.isEmpty
        for byte in name.utf8 where ok {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                break
            case UInt8(ascii: "."):
                ok = previous != 0 && previous != UInt8(ascii: ".")  // no leading dot, no ".."
            default:
                ok = false
            }
            previous = byte
        }
        return ok ? nil : "\(what) '\(name)' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')"
    }

    private static func validate(name: String, what: String) throws {
        if let message = problem(name: name, what: what) { throw LedgeError.usage(message) }
    }

    private static func checkUnique(_ entries: [Entry]) throws {
        var seen = Set<String>()
        for entry in entries where !seen.insert(entry.name).inserted {
            throw LedgeError.usage("model name '\(entry.name)' is given twice (\(entry.model)): expected one model per name")
        }
    }
}
