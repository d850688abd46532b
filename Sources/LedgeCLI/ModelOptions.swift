internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine
internal import LedgeRelease

/// The models a command serves, packages or deploys: `-m FILE [--name N]…` or `--model-repository DIR`.
struct ModelOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help:
            "A model file (.tflite or .onnx), or a model folder (one model file or version folders, labels.txt, config.pbtxt: a repository's NAME/, KServe's /mnt/models; or a downloaded Hugging Face repository, onnx/model.onnx); repeat for several."
    )
    var model: [String] = []

    @Option(help: "The name to serve each --model under, in the same order (default: the file name without extension).")
    var name: [String] = []

    @Option(
        name: .customLong("model-repository"),
        help:
            "A folder with one sub-folder per model, each holding one .tflite or .onnx file and optionally labels.txt (serve: or s3:// or gs://BUCKET/PREFIX, mirrored into the model cache)."
    )
    var modelRepository: String?

    func validate() throws {
        if !model.isEmpty && modelRepository != nil {
            throw ValidationError("give either --model PATH (repeatable) or --model-repository DIR")
        }
        if !name.isEmpty && name.count != model.count {
            throw ValidationError("give --name once per --model, in the same order: got \(model.count) model(s) and \(name.count) name(s)")
        }
    }

    /// True when no model is given (`deploy apply` may take them from a fleet file).
    var isEmpty: Bool { model.isEmpty && modelRepository == nil }

    /// Refuses no models, for the commands that need them here.
    func requireModels() throws {
        if isEmpty { throw ValidationError("give either --model PATH (repeatable) or --model-repository DIR") }
    }

    /// Each `-m` with its `--name` (or none).
    var files: [(path: String, name: String?)] { model.enumerated().map { ($1, name.isEmpty ? nil : name[$0]) } }

    /// The models by name, from the files or the repository folder.
    func entries() throws -> [RepositoryLayout.Entry] {
        if let modelRepository { return try RepositoryLayout.scan(modelRepository) }
        return try RepositoryLayout.entries(files: files)
    }
}

/// What a release needs besides its models: a `ledge` per platform and set-up's platform files.
struct ReleaseInputOptions: ParsableArguments {
    @Option(help: "The ledge executable for a platform, PLATFORM=PATH (e.g. linux/arm64=./ledge-arm64); repeatable.")
    var binary: [String] = []

    @Option(help: "The folder with linux-ARCH/platform.json (default: LEDGE_PLATFORMS, else the set-up folder's platforms/).")
    var platforms: String?

    /// This machine's platform runs the running `ledge`; `--binary` adds or replaces the others.
    func binaries() throws -> [ReleasePlatform: String] {
        var binaries: [ReleasePlatform: String] = [:]
        if let host = ReleasePlatform.host { binaries[host] = ModelProbe.currentExecutable() }
        for item in binary {
            guard let equals = item.firstIndex(of: "=") else {
                throw LedgeError.usage("--binary '\(item)': expected PLATFORM=PATH, as linux/arm64=./ledge")
            }
            binaries[try ReleasePlatform(parsing: String(item[..<equals]))] = String(item[item.index(after: equals)...])
        }
        return binaries
    }

    /// `--platforms`, else `LEDGE_PLATFORMS`, else the set-up folder's `platforms/`.
    func platformsDirectory() -> String {
        if let platforms { return platforms }
        if let fromEnv = ProcessInfo.processInfo.environment["LEDGE_PLATFORMS"], !fromEnv.isEmpty { return fromEnv }
        let roots = RuntimeLocator().setupFolders()
        return (roots.first { FileManager.default.fileExists(atPath: $0 + "/platforms") } ?? roots.first ?? ".ledge") + "/platforms"
    }
}
