internal import ArgumentParser
internal import Dispatch
internal import LedgeCore
internal import Synchronization
internal import LedgeFetch
internal import Logging

/// `--model-uri URI` (repeatable) and `--model-cache DIR`: models fetched from https://, http://,
/// s3:// or file:/// URIs (optionally pinned with `#sha256=HEX`) into the cache before they are loaded.
struct ModelURIOptions: ParsableArguments {
    @Option(
        name: .customLong("model-uri"),
        help: ArgumentHelp(
            "A model to fetch first: https://…, http://…, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO[@REVISION]/PATH or file:///…, optionally ending #sha256=HEX; repeat for several.",
            discussion:
                "A .tar.gz, .tgz, .tar or .zip is unpacked: MODEL.onnx at its top, or NAME/[VERSION/]MODEL.onnx (Triton's layout). "
                + "s3:// reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (else ~/.aws/credentials), AWS_REGION and "
                + "AWS_ENDPOINT_URL (or KServe's S3_ENDPOINT and S3_USE_HTTPS) for MinIO and other S3-compatible stores. "
                + "hf:// reads HF_ENDPOINT (a mirror) and HF_TOKEN (else huggingface-cli login's token file) for gated and private repositories; "
                + "hf://OWNER/REPO[@REVISION] (or a folder of it ending in /) fetches its model (model.onnx among several) with config.json "
                + "and preprocessor_config.json, the labels and image recipe of a Hugging Face export, served under the repository's name; "
                + "a named .onnx or .tflite of it (hf://OWNER/REPO/onnx/model_quantized.onnx) comes with them too.",
            valueName: "uri"))
    var modelURI: [String] = []

    @Option(
        name: .customLong("model-cache"),
        help:
            "Where fetched models are kept, and (serve) model files sent with loads, in uploads/ (default: $XDG_CACHE_HOME/ledge/models, else ~/.cache/ledge/models)."
    )
    var modelCache: String?

    /// True when no URI is given.
    var isEmpty: Bool { modelURI.isEmpty }

    /// Fetches every URI (from the cache when pinned and present) and returns the model files
    /// in them with their names (`nil`: the file name without extension), in the order given.
    func modelFiles(logger: Logger) async throws -> [(path: String, name: String?)] {
        let fetched = try await fetch(modelURI, logger: logger)
        return modelURI.flatMap { fetched[$0] ?? [] }
    }

    /// Refuses URIs beside `--model-repository` (`package`, `deploy apply`: a repository is the
    /// whole set of models).
    func checkAlone(with models: ModelOptions) throws {
        if models.modelRepository != nil && !isEmpty {
            throw ValidationError("give either --model-repository DIR or --model-uri URI, not both")
        }
    }

    /// The models by name: the repository's, else the `-m` files and then `fetched` (``modelFiles(logger:)``).
    func entries(with models: ModelOptions, fetched: [(path: String, name: String?)]) throws -> [RepositoryLayout.Entry] {
        if models.modelRepository != nil { return try models.entries() }
        return try RepositoryLayout.entries(files: models.files + fetched)
    }

    /// Fetches each distinct URI of `uris` once: the model files in each, by URI.
    func fetch(_ uris: [String], logger: Logger) async throws -> [String: [(path: String, name: String?)]] {
        let fetcher = ModelFetcher(options: FetchOptions(cacheDirectory: modelCache), logger: logger)
        var files: [String: [(path: String, name: String?)]] = [:]
        for uri in uris where files[uri] == nil { files[uri] = try await fetcher.fetch(uri).modelFiles() }
        return files
    }

    /// A fetch for the repository's `uri` parameters: blocking (the repository calls it on its own
    /// queue, never on Swift's cooperative pool), the model file of `uri` (an archive's highest version).
    func blockingFetch(logger: Logger) -> @Sendable (String) throws -> String { Self.blockingFetch(cache: modelCache, logger: logger) }

    /// ``blockingFetch(logger:)`` into `cache` (`nil`: the default cache).
    static func blockingFetch(cache: String?, logger: Logger) -> @Sendable (String) throws -> String {
        let fetcher = ModelFetcher(options: FetchOptions(cacheDirectory: cache), logger: logger)
        return { uri in
            let result = Mutex<Result<String, any Error>?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                let outcome: Result<String, any Error>
                do {
                    guard let file = try await fetcher.fetch(uri).modelFiles().first else {
                        throw LedgeError.invalidModel("\(uri): holds no .onnx or .tflite model")
                    }
                    outcome = .success(file.path)
                } catch {
                    outcome = .failure(error)
                }
                result.withLock { $0 = outcome }
                done.signal()
            }
            done.wait()
            return try result.withLock { $0 }!.get()
        }
    }
}

extension ModelURIOptions {
    /// The model argument of `inspect`, `classify`, `bench` and `quantize`: a path as it is; a model
    /// folder its model (as `serve --model DIR` reads it: the one model file, the highest version, or
    /// a downloaded Hugging Face repository's `onnx/model.onnx`); a URI (`https://`, `http://`,
    /// `s3://`, `gs://`, `hf://`, `file://`) fetched first as `serve --model-uri` fetches it (the
    /// default cache, credentials, pins, archives) and its model file. A text with `://` that is no
    /// model URI is refused with the URI's line.
    static func localModel(_ text: String, logger: Logger) throws -> String {
        guard text.contains("://") else {
            guard PathName.isDirectory(text) else { return text }
            let folder = try RepositoryLayout.folder(at: text, name: PathName.lastComponent(text))
            return folder.versions.last?.model ?? text
        }
        if case .file(let path) = try ModelURI(parsing: text).location { return path }
        return try blockingFetch(cache: nil, logger: logger)(text)
    }
}
