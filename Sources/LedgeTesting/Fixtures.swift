public import Foundation
public import LedgeCore

/// Paths to the fixtures that `make setup` fetches and generates, and the
/// reference outputs the Python runtimes computed for them.
///
/// Layout under the set-up folder (`LEDGE_HOME`, default `<package>/.ledge`):
/// `fixtures/models/*`, `fixtures/images/*`, `fixtures/reference/manifest.json`
/// with the `.bin` files it names, and `runtimes/{onnxruntime,litert}/`.
public enum Fixtures {
    /// The set-up folder.
    public static let home: String = {
        if let env = ProcessInfo.processInfo.environment["LEDGE_HOME"], !env.isEmpty { return env }
        return packageRoot + "/.ledge"
    }()

    /// The package's root folder (where Package.swift is).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Sources/LedgeTesting/Fixtures.swift
        return url.path
    }()

    /// A fixture model: `efficientnet_lite0.tflite`, `ch_ppocr_mobile_v2.0_cls_infer.onnx`,
    /// `mobilenet_gen.onnx`, `add.onnx`.
    public static func model(_ name: String) -> String { home + "/fixtures/models/" + name }
    /// A fixture image, e.g. `chelsea.jpg`, `coffee.png`, `chelsea_exif6.jpg`.
    public static func image(_ name: String) -> String { home + "/fixtures/images/" + name }
    /// A file in the reference folder.
    public static func reference(_ name: String) -> String { home + "/fixtures/reference/" + name }
    /// A file of the Hugging Face-style exports (`scripts/make_hf_exports.py`), e.g. `vit/model.onnx`.
    public static func huggingFace(_ name: String) -> String { home + "/fixtures/hf/" + name }

    /// ONNX Runtime's logits for the Hugging Face-style exports on transformers' pixel values of
    /// the fixture photos (`scripts/hf_reference_logits.py`), by export (`vit`, `convnext`,
    /// `repo/mobilenet`) and image.
    public static func huggingFaceLogits() throws -> [String: [String: [Float]]] {
        struct Reference: Decodable { var logits: [String: [String: [Float]]] }
        let file = huggingFace("reference/logits.json")
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LedgeError.invalidInput("\(file) missing; run 'make setup'")
        }
        return try JSONDecoder().decode(Reference.self, from: data).logits
    }

    /// The built `ledge` executable next to the test bundle.
    public static var ledgeExecutable: String {
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        let dir = bundle.map { ($0.bundlePath as NSString).deletingLastPathComponent } ?? packageRoot + "/.build/debug"
        return dir + "/ledge"
    }

    /// The runtime library for `kind` as the CLI would find it.
    public static func runtimeLibrary(_ kind: RuntimeLibraryKind) throws -> String {
        try RuntimeLocator(workingDirectory: packageRoot).locate(kind)
    }

    /// A reference case: fixed inputs and the outputs the Python runtime gave for them.
    public static func referenceCase(_ name: String) throws -> ReferenceCase {
        let manifest = try Manifest.load()
        guard let entry = manifest.cases[name] else {
            throw LedgeError.invalidInput("no reference case '\(name)' in \(reference("manifest.json")); run 'make setup'")
        }
        return ReferenceCase(
            model: model(entry.model),
            inputs: try entry.inputs.map { try $0.load() },
            outputs: try entry.outputs.map { try $0.load() })
    }

    /// Top-k classification references: image name → (index, score) pairs, best first,
    /// for `model` (the file name of a fixture model).
    public static func classifyReference(model: String) throws -> [String: [(index: Int, score: Float)]] {
        let manifest = try Manifest.load()
        guard let images = manifest.classify[model] else {
            throw LedgeError.invalidInput("no classify reference for '\(model)' in manifest.json; run 'make setup'")
        }
        return images.mapValues { $0.map { (index: $0.index, score: $0.score) } }
    }
}

/// Inputs and the reference runtime's outputs for them.
public struct ReferenceCase: Sendable {
    public var model: String
    public var inputs: [Tensor]
    public var outputs: [Tensor]
}

struct Manifest: Decodable {
    struct TensorFile: Decodable {
        var name: String
        var dtype: String
        var shape: [Int]
        var file: String

        func load() throws -> Tensor {
            guard let dtype = DType(rawValue: dtype) else {
                throw LedgeError.invalidInput("manifest.json: unknown dtype '\(self.dtype)' for \(file)")
            }
            let path = Fixtures.reference(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LedgeError.invalidInput("reference file missing: \(path); run 'make setup'")
            }
            var tensor = Tensor(dtype: dtype, shape: shape)
            guard data.count == tensor.byteCount else {
                throw LedgeError.invalidInput("\(path): \(data.count) bytes, expected \(tensor.byteCount)")
            }
            tensor.withUnsafeMutableBytes { target in data.copyBytes(to: target.bindMemory(to: UInt8.self)) }
            return tensor
        }
    }

    struct Case: Decodable {
        var model: String
        var inputs: [TensorFile]
        var outputs: [TensorFile]
    }

    struct Scored: Decodable {
        var index: Int
        var score: Float
    }

    var cases: [String: Case]
    var classify: [String: [String: [Scored]]]

    static func load() throws -> Manifest {
        let path = Fixtures.reference("manifest.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidInput("reference manifest missing: \(path); run 'make setup'")
        }
        return try JSONDecoder().decode(Manifest.self, from: data)
    }
}

/// The code of the ``LedgeError`` that `body` throws; `nil` when it throws nothing or another error.
public func ledgeErrorCode(_ body: () throws -> Void) -> LedgeError.Code? {
    do {
        try body()
        return nil
    } catch let error as LedgeError {
        return error.code
    } catch {
        return nil
    }
}
