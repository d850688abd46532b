#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeRelease
internal import Logging
internal import NIOHTTP1

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// `hf://OWNER/REPO[@REVISION]`, `hf://OWNER/REPO[@REVISION]/FOLDER/` and
/// `hf://OWNER/REPO[@REVISION]/PATH.onnx` (or `.tflite`): the model of a Hub repository (of a
/// folder of it, or the one named) with the files a Hugging Face export keeps beside it
/// (``ModelSidecar``: `config.json`, `preprocessor_config.json`), as `huggingface-cli download`
/// would put them, minus everything else — so `onnx/model_quantized.onnx` keeps the labels and
/// the preprocessing of its export.
///
/// The Hub's model API (`ENDPOINT/api/models/OWNER/REPO/revision/REVISION`) lists the files and
/// the revision's commit; every file is then fetched at that commit, so all come from one
/// revision. The model is the named file, else the folder's only `.onnx`/`.tflite` file, else
/// its `model.onnx` (or `onnx/model.onnx`, `model.tflite`); several others are refused with
/// their names. ONNX external data beside it (`model.onnx_data`, `model.onnx.data`) comes along.
/// Each file streams into `partial/` and a cut one resumes there on the next fetch (the commit
/// fixes its content). The files land in the cache as one unpacked entry (`sha256/<hex>.d/`,
/// keyed by their paths and digests), in the repository's layout; an entry fetched at a commit
/// (`@` 40 hex digits), or a named file with a `#sha256=` pin (checked before its config files
/// are fetched), is keyed by that and served again without the network.
struct HuggingFaceSnapshot {
    let hub: HuggingFaceSettings
    let repository: String
    let revision: String
    let folder: String
    let label: String
    /// The model file named by the URI (a path from the repository's root); `nil`: the folder's.
    var model: String? = nil
    /// The named model's `#sha256=` pin.
    var pin: String? = nil

    /// A path the fetcher takes as a named model with its config files: an `.onnx` or `.tflite` file.
    static func isModelFile(_ path: String) -> Bool {
        ["onnx", "tflite"].contains(PathName.pathExtension(path).lowercased())
    }

    /// The repository's files (paths from its root) and the revision's commit.
    func listing() async throws -> (commit: String, files: [String]) {
        let url = "\(hub.endpoint)/api/models/\(repository)/revision/\(revision.percentEncoded())"
        guard let target = RequestURL(url) else { throw LedgeError.usage("\(label): expected an http(s) HF_ENDPOINT, got \(hub.endpoint)") }
        var client = HTTPClient(timeLimit: 60)
        client.maxResponseBytes = 16 << 20
        let response = try await client.send(.GET, target, headers: hub.headers(target))
        guard response.status == 200 else {
            throw LedgeError(
                response.status == 404 ? .notFound : .remoteFailure,
                "\(label): listing the repository: HTTP \(response.status)\(HTTPClient.errorDetail(response.body, response.headers))")
        }
        struct Info: Decodable {
            struct Sibling: Decodable { var rfilename: String }
            var sha: String?
            var siblings: [Sibling]?
        }
        guard let info = try? JSONDecoder().decode(Info.self, from: Data(response.body)), let siblings = info.siblings else {
            throw LedgeError(.remoteFailure, "\(label): the Hub's answer lists no files (expected JSON with siblings)")
        }
        let commit = info.sha.flatMap { $0.isEmpty ? nil : $0 } ?? revision
        // Each path becomes a file under the cache entry: none may leave it.
        if let unsafe = siblings.first(where: { !Self.isSafe($0.rfilename) }) {
            throw LedgeError(.remoteFailure, "\(label): the Hub listed the path '\(unsafe.rfilename)', which would leave the model's folder")
        }
        return (commit, siblings.map(\.rfilename))
    }

    /// A relative path of plain components: no `..`, `.`, empty or absolute part, no NUL.
    static func isSafe(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.contains("\0") && !parts.isEmpty && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// A revision that is a commit (40 hex digits) names content that never changes, and so does
    /// a pinned model's: its entry is kept under this key and found again without the network.
    var fixedKey: String? {
        let selected = model ?? folder
        if revision.utf8.count == 40, revision.utf8.allSatisfy(ModelURI.isHexDigit) {
            return ContentDigest.sha256(Array("hf-snapshot \(repository)@\(revision)/\(selected)\(pin.map { "#sha256=" + $0 } ?? "")".utf8))
        }
        guard let pin, let model else { return nil }
        return ContentDigest.sha256(Array("hf-snapshot \(repository)@\(revision)/\(model)#sha256=\(pin)".utf8))
    }

    /// The file in an entry that names its model and the model's sha256.
    static let manifestName = ".ledge-snapshot"

    /// The files to fetch, the model first: it, its external data and the config files found
    /// beside it as ``ModelSidecar`` looks for them.
    func selection(from files: [String], commit: String) throws -> [String] {
        if let model {
            guard files.contains(model) else {
                throw LedgeError.notFound("\(label): no file \(model) in \(repository) at \(revision == commit ? commit : "\(revision) (\(commit))")")
            }
            return withConfigFiles(model, from: files)
        }
        let inFolder = files.filter { $0.hasPrefix(folder) }
        let models = inFolder.filter { ["onnx", "tflite"].contains(PathName.pathExtension($0).lowercased()) }.sorted()
        let preferred = ["model.onnx", "onnx/model.onnx", "model.tflite"].map { folder + $0 }.first { models.contains($0) }
        guard let model = models.count == 1 ? models[0] : preferred else {
            let place = folder.isEmpty ? "" : " in \(folder)"
            if models.isEmpty { throw LedgeError.notFound("\(label): no .onnx or .tflite file\(place)") }
            throw LedgeError.usage(
                "\(label): \(models.count) models\(place) (\(models.prefix(6).joined(separator: ", "))\(models.count > 6 ? ", …" : "")) and none is model.onnx: "
                    + "name a folder holding one (hf://\(repository)/FOLDER/), or the file (hf://\(repository)/\(models[0]))"
            )
        }
        return withConfigFiles(model, from: files)
    }

    /// `model`, its external data and the config files beside it that `files` hold.
    private func withConfigFiles(_ model: String, from files: [String]) -> [String] {
        var wanted = [model] + [model + "_data", model + ".data"].filter { files.contains($0) }
        for name in ModelSidecar.fileNames {
            let candidates = ModelSidecar.folders(besides: model).map { PathName.appending(name, to: $0) }
            if let found = candidates.first(where: files.contains) { wanted.append(found) }
        }
        return wanted
    }
}

extension ModelFetcher {
    /// Fetches a Hub repository's model with its config files (``HuggingFaceSnapshot``).
    func fetchSnapshot(_ uri: ModelURI, snapshot: HuggingFaceSnapshot, cache: ModelCache) async throws -> FetchedModel {
        // A repository's (or folder's) model is served under the repository's name; a named file under its own.
        let name = snapshot.model == nil ? String(snapshot.repository.split(separator: "/").last ?? "model") : nil
        if let key = snapshot.fixedKey, let cached = cache.lookup(key),
            let manifest = FileManager.default.contents(atPath: cached + "/" + HuggingFaceSnapshot.manifestName)
        {
            let lines = String(decoding: manifest, as: UTF8.self).split(separator: "\n").map(String.init)
            if lines.count == 2, HuggingFaceSnapshot.isSafe(lines[0]), LocalFiles.kind(cached + "/" + lines[0]) == .file {
                logger.debug("model from the cache", metadata: ["uri": "\(uri)", "path": "\(cached)"])
                return FetchedModel(path: cached + "/" + lines[0], sha256: lines[1], fromCache: true, name: name)
            }
        }
        try cache.prepare()
        let (commit, files) = try await snapshot.listing()
        let wanted = try snapshot.selection(from: files, commit: commit)
        logger.info("fetching a model with its config files", metadata: ["uri": "\(uri)", "commit": "\(commit)", "files": "\(wanted)"])
        let staging = try cache.makeStaging()
        var digests: [String] = []
        do {
            for file in wanted {
                let target = staging + "/" + file
                try LocalFiles.makeDirectories(PathName.deletingLastComponent(target))
                let digest = try await download(file, at: commit, of: snapshot, uri: uri, cache: cache, to: target)
                if file == wanted[0], let pin = snapshot.pin, pin != digest {
                    throw LedgeError.invalidInput("\(uri): sha256 is \(digest), expected \(pin) (the #sha256= pin)")
                }
                digests.append("\(file) \(digest)")
            }
        } catch {
            LocalFiles.remove(staging)
            throw error
        }
        let model = String(digests[0].split(separator: " ").last ?? "")
        // By content; a commit's or a pinned model's entry by that, so that the next fetch of it needs no network.
        let key = snapshot.fixedKey ?? ContentDigest.sha256(Array(("hf-snapshot\n" + digests.joined(separator: "\n")).utf8))
        let path: String
        if let cached = cache.lookup(key) {
            LocalFiles.remove(staging)
            path = cached
        } else {
            do {
                try AtomicFile.write("\(wanted[0])\n\(model)\n", to: staging + "/" + HuggingFaceSnapshot.manifestName, option: "--model-cache")
            } catch {
                LocalFiles.remove(staging)
                throw error
            }
            LocalFiles.sync(staging)
            path = try cache.storeFolder(staging, sha256: key)
        }
        logger.info("fetched a model with its config files", metadata: ["uri": "\(uri)", "path": "\(path)", "sha256": "\(model)"])
        return FetchedModel(path: path + "/" + wanted[0], sha256: model, fromCache: false, name: name)
    }

    /// Downloads `file` of the repository at `commit` to `target` through a file in `partial/`
    /// that a cut leaves for the next fetch to resume (a commit's file never changes): its sha256.
    private func download(
        _ file: String, at commit: String, of snapshot: HuggingFaceSnapshot, uri: ModelURI, cache: ModelCache, to target: String
    ) async throws -> String {
        let part = cache.partialPath(for: "hf://\(snapshot.repository)@\(commit)/\(file)")
        let url = snapshot.hub.url(repository: snapshot.repository, revision: commit, path: file)
        _ = try await download(url, into: part, uri: uri, label: "\(uri) (\(file))", headers: snapshot.hub.headers)
        let digest: String
        do {
            digest = try ContentDigest.sha256(file: part).digest
        } catch {
            unlink(part)
            throw error
        }
        guard rename(part, target) == 0 else {
            unlink(part)
            throw LedgeError(.runtimeFailure, "\(uri): cannot move \(part) to \(target): \(LocalFiles.reason)")
        }
        return digest
    }
}
