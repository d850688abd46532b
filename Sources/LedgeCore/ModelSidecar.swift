#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// What the files a Hugging Face export keeps beside a model say about it: the image recipe
/// of `preprocessor_config.json` and the class names of `config.json` (`id2label`).
///
/// `transformers`' and Optimum's exports put these beside `model.onnx`; repositories on the
/// Hub (and `onnx-community`'s) keep them at the top with the model in `onnx/`. So each file is
/// looked for in the model's folder, then in the folder above when the model's is `onnx/` or a
/// version number (a repository's `NAME/1/`).
public struct ModelSidecar: Sendable, Hashable {
    /// The file names read, in the order they are looked for.
    public static let fileNames = ["preprocessor_config.json", "config.json"]

    /// From `preprocessor_config.json`.
    public var recipe: ImageRecipe?
    /// From `config.json`'s `id2label`, in class order.
    public var labels: [String]?
    /// The `config.json` the labels came from.
    public var labelsSource: String?

    public init(recipe: ImageRecipe? = nil, labels: [String]? = nil, labelsSource: String? = nil) {
        self.recipe = recipe
        self.labels = labels
        self.labelsSource = labelsSource
    }

    /// Where the sidecar files of the model at `modelPath` are looked for, in order: its folder,
    /// then the one above when its folder is `onnx` or a version number.
    public static func folders(besides modelPath: String) -> [String] {
        let folder = PathName.deletingLastComponent(modelPath)
        let last = PathName.lastComponent(folder)
        guard last == "onnx" || (!last.isEmpty && last.allSatisfy(\.isASCIIDigitCharacter)) else { return [folder] }
        return [folder, PathName.deletingLastComponent(folder)]
    }

    /// The sidecar files of the model at `modelPath` that exist, by file name.
    public static func files(besides modelPath: String) -> [String: String] {
        var found: [String: String] = [:]
        for name in fileNames {
            let candidates = folders(besides: modelPath).map { PathName.appending(name, to: $0) }
            found[name] = candidates.first { CheckedFile.problem(at: $0) == nil }
        }
        return found
    }

    /// Puts the sidecar files of the model at `source` beside `destination` (a model made from
    /// it, e.g. quantized), where ``files(besides:)`` would not find one of that name already;
    /// each written whole or not at all. Returns the files written.
    public static func copy(besides source: String, to destination: String) throws -> [String] {
        let present = files(besides: destination)
        var written: [String] = []
        for (name, path) in files(besides: source).sorted(by: { $0.key < $1.key }) where present[name] == nil {
            let bytes = try CheckedFile.read(path, kind: "model config", expected: "a JSON file", code: .invalidModel, allowEmpty: true)
            let target = PathName.appending(name, to: PathName.deletingLastComponent(destination))
            try AtomicFile.write(bytes: [UInt8](bytes), to: target, option: "--output")
            written.append(target)
        }
        return written
    }

    /// Reads the sidecar files beside `modelPath`; `nil` when there are none. Throws
    /// ``LedgeError/Code/invalidModel`` naming the file and field of one that is not as expected
    /// (a `config.json` that is no JSON object at all is taken for another tool's and skipped).
    public static func load(besides modelPath: String) throws -> ModelSidecar? {
        let files = files(besides: modelPath)
        if files.isEmpty { return nil }
        var sidecar = ModelSidecar()
        var channels = 3
        // `config.json` is a common name: one that is no JSON object is some other tool's, not read.
        if let path = files["config.json"], let config = try? SidecarJSON.object(at: path) {
            if let value = config["num_channels"] { channels = try value.int(path, "num_channels", in: 1...4) }
            if let value = config["id2label"] {
                sidecar.labels = try value.labels(path)
                sidecar.labelsSource = path
            }
        }
        if let path = files["preprocessor_config.json"] {
            sidecar.recipe = try HuggingFaceRecipe.read(try SidecarJSON.object(at: path), path: path, channels: channels)
        }
        return sidecar.recipe == nil && sidecar.labels == nil ? nil : sidecar
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

/// A JSON value as the sidecar readers need it, with errors that name the file and field.
enum SidecarJSON: Decodable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([SidecarJSON]), object([String: SidecarJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([SidecarJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: SidecarJSON].self))
        }
    }

    /// The JSON object in the file at `path`.
    static func object(at path: String) throws -> [String: SidecarJSON] {
        let data = try CheckedFile.read(path, kind: "model config", expected: "a JSON file", code: .invalidModel)
        guard let value = try? JSONDecoder().decode(SidecarJSON.self, from: data), case .object(let object) = value else {
            throw LedgeError.invalidModel("\(path): not a JSON object")
        }
        return object
    }

    /// The value when it is a string.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    func bool(_ path: String, _ field: String) throws -> Bool {
        guard case .bool(let value) = self else { throw Self.expected(path, field, "true or false") }
        return value
    }

    func number(_ path: String, _ field: String) throws -> Double {
        guard case .number(let value) = self, value.isFinite else { throw Self.expected(path, field, "a number") }
        return value
    }

    func int(_ path: String, _ field: String, in range: ClosedRange<Int>) throws -> Int {
        guard case .number(let value) = self, value.rounded() == value, let int = Int(exactly: value), range.contains(int) else {
            throw Self.expected(path, field, "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return int
    }

    /// A number or a list of numbers.
    func numbers(_ path: String, _ field: String) throws -> [Float] {
        if case .number(let value) = self, value.isFinite { return [Float(value)] }
        guard case .array(let items) = self, !items.isEmpty else { throw Self.expected(path, field, "a number or a list of numbers") }
        return try items.map { Float(try $0.number(path, field)) }
    }

    /// `id2label`: an object whose keys are the class indices 0…n-1.
    func labels(_ path: String) throws -> [String] {
        guard case .object(let object) = self, !object.isEmpty else {
            throw Self.expected(path, "id2label", "an object of class index to name")
        }
        var labels = [String?](repeating: nil, count: object.count)
        for (key, value) in object {
            guard let index = Int(key), labels.indices.contains(index) else {
                throw LedgeError.invalidModel(
                    "\(path): 'id2label': key '\(key)' is not a class index from 0 to \(object.count - 1)")
            }
            guard let name = value.string else { throw Self.expected(path, "id2label.\(key)", "a string") }
            labels[index] = name
        }
        if let missing = labels.firstIndex(where: { $0 == nil }) {
            throw LedgeError.invalidModel("\(path): 'id2label': no name for class \(missing) (expected keys 0 to \(labels.count - 1))")
        }
        return labels.compactMap { $0 }
    }

    static func expected(_ path: String, _ field: String, _ what: String) -> LedgeError {
        LedgeError.invalidModel("\(path): '\(field)': expected \(what)")
    }
}
