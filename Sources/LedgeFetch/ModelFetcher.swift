#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
internal import LedgeRelease
public import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// A model fetched from a URI.
public struct FetchedModel: Sendable, Hashable {
    /// The model file, or for an archive the folder it unpacked to (a flat model file or a Triton-style layout).
    public var path: String
    /// The sha256 of the content (the file, or the archive), as 64 lowercase hex digits.
    public var sha256: String
    /// True when it came from the cache without reading the source.
    public var fromCache: Bool
    /// The name to serve it under when none is given (a Hub repository's name), else `nil`: the file's.
    public var name: String?

    /// A fetched model with these values.
    public init(path: String, sha256: String, fromCache: Bool, name: String? = nil) {
        self.path = path
        self.sha256 = sha256
        self.fromCache = fromCache
        self.name = name
    }
}

/// Turns model URIs into local files or folders, as KServe's storage initializer does:
/// `https://`, `http://`, `s3://` (``S3Settings``), `gs://` (``GCSSettings``), `hf://`
/// (``HuggingFaceSettings``; a repository, a folder or a named model with its config files,
/// ``HuggingFaceSnapshot``; other files alone)
/// and `file:///` URIs with an optional
/// `#sha256=<hex>` pin.
///
/// Downloads stream into `partial/` in the cache and resume with a `Range` request after a
/// cut; a complete download is synced, checked against the pin, and renamed into the
/// content-addressed cache (``FetchOptions/cacheDirectory``). Archives (`.tar.gz`, `.tgz`,
/// `.tar`, `.zip`) are unpacked safely into a staging folder, then renamed into place. A
/// pinned URI already in the cache is served without any network. A local file that is not
/// an archive is returned where it is, after its sha256 is checked.
public struct ModelFetcher: Sendable {
    /// Where models are kept and what a fetch may do.
    public let options: FetchOptions
    let logger: Logger

    /// A fetcher with `options`, logging to `logger`.
    public init(options: FetchOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Fetches `uri`; errors are one line naming it.
    public func fetch(_ text: String) async throws -> FetchedModel {
        let uri = try ModelURI(parsing: text)
        let cache = ModelCache(root: options.cacheDirectory)
        if case .huggingFace(let repository, let revision, let path) = uri.location, HuggingFaceSnapshot.isModelFile(path) {
            // A named Hub model comes with its export's config files (before the pin lookup: a
            // file cached alone by its pin has none).
            let snapshot = HuggingFaceSnapshot(
                hub: options.huggingFace ?? HuggingFaceSettings(), repository: repository, revision: revision, folder: "",
                label: uri.description, model: path, pin: uri.pin)
            return try await fetchSnapshot(uri, snapshot: snapshot, cache: cache)
        }
        if let pin = uri.pin, let path = cache.lookup(pin) {
            logger.debug("model from the cache", metadata: ["uri": "\(uri)", "path": "\(path)"])
            return FetchedModel(path: path, sha256: pin, fromCache: true)
        }
        try cache.prepare()
        switch uri.location {
        case .file(let path): return try fetchLocal(uri, path: path, cache: cache)
        case .remote(let url): return try await fetchRemote(uri, url: url, cache: cache)
        case .s3(let bucket, let key):
            let settings = try await S3Settings.resolved(options.s3, for: uri.description)
            return try await fetchRemote(uri, url: settings.url(bucket: bucket, key: key).text, cache: cache, headers: settings.signing)
        case .gcs(let bucket, let object):
            let settings = try await GCSSettings.resolved(options.gcs, for: uri.description)
            return try await fetchRemote(uri, url: settings.url(bucket: bucket, object: object), cache: cache, headers: settings.headers)
        case .huggingFace(let repository, let revision, let path):
            let hub = options.huggingFace ?? HuggingFaceSettings()
            return try await fetchRemote(
                uri, url: hub.url(repository: repository, revision: revision, path: path), cache: cache, headers: hub.headers)
        case .huggingFaceFolder(let repository, let revision, let folder):
            let hub = options.huggingFace ?? HuggingFaceSettings()
            let snapshot = HuggingFaceSnapshot(hub: hub, repository: repository, revision: revision, folder: folder, label: uri.description)
            return try await fetchSnapshot(uri, snapshot: snapshot, cache: cache)
        }
    }

    private func fetchLocal(_ uri: ModelURI, path: String, cache: ModelCache) throws -> FetchedModel {
        guard LocalFiles.kind(path) == .file || (LocalFiles.kind(path) == .other && access(path, R_OK) == 0) else {
            throw LedgeError.notFound("\(uri): no such file")
        }
        let sha256 = try digest(of: path, uri: uri)
        guard let kind = ArchiveKind.detect(path: path, name: uri.fileName) else {
            return FetchedModel(path: path, sha256: sha256, fromCache: false)
        }
        if let cached = cache.lookup(sha256) { return FetchedModel(path: cached, sha256: sha256, fromCache: true) }
        return FetchedModel(path: try unpack(path, kind: kind, uri: uri, sha256: sha256, cache: cache), sha256: sha256, fromCache: false)
    }

    private func fetchRemote(
        _ uri: ModelURI, url: String, cache: ModelCache, headers: (@Sendable (RequestURL) -> [(String, String)])? = nil
    ) async throws -> FetchedModel {
        let part = cache.partialPath(for: uri.description)
        let result = try await download(url, into: part, uri: uri, label: headers == nil ? nil : uri.description, headers: headers)
        let sha256: String
        do {
            sha256 = try digest(of: part, uri: uri)
        } catch {
            unlink(part)  // complete but wrong: a resume would only repeat it
            throw error
        }
        logger.info("fetched a model", metadata: ["uri": "\(uri)", "bytes": "\(result.size)", "sha256": "\(sha256)"])
        if let cached = cache.lookup(sha256) {
            unlink(part)
            return FetchedModel(path: cached, sha256: sha256, fromCache: false)
        }
        guard let kind = ArchiveKind.detect(path: part, name: uri.fileName) else {
            return FetchedModel(path: try cache.storeFile(moving: part, sha256: sha256, name: uri.fileName), sha256: sha256, fromCache: false)
        }
        defer { unlink(part) }
        return FetchedModel(path: try unpack(part, kind: kind, uri: uri, sha256: sha256, cache: cache), sha256: sha256, fromCache: false)
    }

    /// Downloads `url` into `part` (in `partial/`), from where an earlier fetch was cut, and syncs
    /// it; a cut keeps the bytes received for the next fetch to resume.
    func download(
        _ url: String, into part: String, uri: ModelURI, label: String?, headers: (@Sendable (RequestURL) -> [(String, String)])?
    ) async throws -> DownloadResult {
        let fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LedgeError(.runtimeFailure, "\(uri): cannot write \(part): \(LocalFiles.reason)") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw LedgeError(.busy, "\(uri): another fetch of it is under way (\(part))") }
        let offset = LocalFiles.size(fd)
        logger.info("fetching a model", metadata: ["uri": "\(uri)", "resume_from": "\(offset)"])
        let result: DownloadResult
        do {
            result = try await HTTPClient().download(url, to: fd, from: offset, limits: options.download, label: label, headers: headers) {
                [logger] problem, delay in
                logger.warning("\(problem); trying again in \(delay) s")
            }
        } catch let error as LedgeError {
            // Keep received bytes for a resume, unless there are none or they are past the limit.
            if LocalFiles.size(fd) == 0 || error.code == .tooLarge { unlink(part) }
            throw error
        }
        guard fsync(fd) == 0 else { throw LedgeError(.runtimeFailure, "\(uri): cannot write \(part): \(LocalFiles.reason)") }
        return result
    }

    /// The file's sha256, checked against the URI's pin.
    private func digest(of path: String, uri: ModelURI) throws -> String {
        let sha256 = try ContentDigest.sha256(file: path).digest
        if let pin = uri.pin, pin != sha256 {
            throw LedgeError.invalidInput("\(uri): sha256 is \(sha256), expected \(pin) (the #sha256= pin)")
        }
        return sha256
    }

    /// Unpacks into a staging folder, then renames it to `sha256/<hex>.d`.
    private func unpack(_ path: String, kind: ArchiveKind, uri: ModelURI, sha256: String, cache: ModelCache) throws -> String {
        let staging = try cache.makeStaging()
        do {
            try kind.unpack(path, into: staging, archive: uri.description, options: options)
        } catch {
            LocalFiles.remove(staging)
            throw error
        }
        return try cache.storeFolder(staging, sha256: sha256)
    }
}
