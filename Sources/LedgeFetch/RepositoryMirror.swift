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

/// A local copy of a model repository kept in an object store (`s3://BUCKET/PREFIX` or
/// `gs://BUCKET/PREFIX`, Triton's layout below the prefix), which `ledge serve` serves as a
/// repository folder and brings up to date before each look at it (poll mode) and each
/// explicit load.
///
/// It lives in the cache (`repositories/<digest of the URI>/models`); a sync lists the prefix
/// (S3's ListObjectsV2, Cloud Storage's JSON API list), downloads each object that is new or
/// whose ETag changed into `partial/`, then renames it into place (never a half-written file in
/// the folder), and deletes the files of objects that are gone. Keys that would leave the folder
/// (`..`, empty segments) fail the sync. One sync at a time per mirror, across processes (`lock`).
public struct RepositoryMirror: Sendable {
    /// `s3://BUCKET/PREFIX` or `gs://BUCKET/PREFIX` as given.
    public let uri: String
    /// `s3` or `gs`.
    public let scheme: String
    public let bucket: String
    /// Empty or ending in `/`.
    public let prefix: String
    /// The folder served as the repository.
    public let folder: String
    let root: String
    let s3: S3Settings?
    let gcs: GCSSettings?
    let limits: DownloadLimits
    let logger: Logger

    /// A mirror of `uri` in `cacheDirectory`; `s3` / `gcs` `nil`: read from the environment at each sync.
    public init(
        uri: String, cacheDirectory: String, s3: S3Settings? = nil, gcs: GCSSettings? = nil, limits: DownloadLimits = DownloadLimits(),
        logger: Logger
    ) throws {
        (self.scheme, self.bucket, self.prefix) = try Self.parse(uri)
        self.uri = uri
        self.root = cacheDirectory + "/repositories/" + ContentDigest.sha256(Array("\(scheme)://\(bucket)/\(prefix)".utf8)).prefix(16)
        self.folder = root + "/models"
        self.s3 = s3
        self.gcs = gcs
        self.limits = limits
        self.logger = logger
    }

    /// True when `uri` names a repository in an object store (`s3://` or `gs://`), which a
    /// mirror serves, rather than a local folder.
    public static func isStore(_ uri: String) -> Bool { uri.hasPrefix("s3://") || uri.hasPrefix("gs://") }

    /// The scheme, the bucket and the prefix (empty, or ending in `/`) of `s3://BUCKET[/PREFIX]`
    /// or `gs://BUCKET[/PREFIX]`; anything else is refused in one line.
    public static func parse(_ uri: String) throws -> (scheme: String, bucket: String, prefix: String) {
        let scheme = String(uri.prefix(2))
        let rest = uri.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(bucket.count + 1))
        guard isStore(uri), (try? ModelURI(parsing: "\(scheme)://\(bucket)/x")) != nil, !prefix.hasPrefix("/"), !prefix.contains("//")
        else {
            throw LedgeError.usage("model repository '\(uri)': expected s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]")
        }
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        return (scheme, String(bucket), prefix)
    }

    /// What a sync did.
    public struct Outcome: Sendable, Hashable {
        public var downloaded: [String] = []
        public var removed: [String] = []
        public var kept = 0

        public init(downloaded: [String] = [], removed: [String] = [], kept: Int = 0) {
            self.downloaded = downloaded
            self.removed = removed
            self.kept = kept
        }
    }

    /// Brings the folder in line with the bucket; errors are one line naming the URI (the
    /// folder then holds what it held, plus any object downloaded whole before the failure).
    @discardableResult
    public func sync() async throws -> Outcome {
        try LocalFiles.makeDirectories(folder)
        try LocalFiles.makeDirectories(root + "/partial")
        let lock = open(root + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw LedgeError(.runtimeFailure, "\(uri): cannot open \(root)/lock: \(LocalFiles.reason)") }
        defer { close(lock) }
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {  // another server syncs the same mirror: wait for it
            try await Task.sleep(for: .milliseconds(50))
        }
        let store = try await resolved()
        let objects = try await store.list()
        var known = readState()
        var outcome = Outcome()
        var listed = Set<String>()
        for object in objects {
            let relative = String(object.key.dropFirst(prefix.count))
            if relative.isEmpty || relative.hasSuffix("/") { continue }  // the console's folder markers
            let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }), !relative.contains("\0") else {
                throw LedgeError.invalidModel("\(uri): object '\(object.key)' would leave the repository folder: expected a path below the prefix")
            }
            listed.insert(relative)
            let path = folder + "/" + relative
            if known[relative] == object.etag, LocalFiles.kind(path) == .file {
                outcome.kept += 1
                continue
            }
            let partial = root + "/partial/" + LocalFiles.uniqueName()
            let fd = open(partial, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw LedgeError(.runtimeFailure, "\(uri): cannot write \(partial): \(LocalFiles.reason)") }
            do {
                defer { close(fd) }
                _ = try await HTTPClient().download(
                    store.url(object.key), to: fd, from: 0, limits: limits, label: "\(scheme)://\(bucket)/\(object.key)",
                    headers: store.headers
                ) { [logger] problem, delay in logger.warning("\(problem); trying again in \(delay) s") }
                guard fsync(fd) == 0 else { throw LedgeError(.runtimeFailure, "\(uri): cannot write \(partial): \(LocalFiles.reason)") }
                try LocalFiles.makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
                if LocalFiles.kind(path) == .directory { LocalFiles.remove(path) }
                guard rename(partial, path) == 0 else {
                    throw LedgeError(.runtimeFailure, "\(uri): cannot put \(relative) in place: \(LocalFiles.reason)")
                }
            } catch {
                unlink(partial)
                throw error
            }
            known[relative] = object.etag
            outcome.downloaded.append(relative)
        }
        for relative in known.keys.sorted() where !listed.contains(relative) {
            unlink(folder + "/" + relative)
            known[relative] = nil
            outcome.removed.append(relative)
        }
        removeEmptyFolders(folder)
        try writeState(known)
        if !outcome.downloaded.isEmpty || !outcome.removed.isEmpty {
            logger.info(
                "model repository synced",
                metadata: ["uri": "\(uri)", "downloaded": "\(outcome.downloaded.count)", "removed": "\(outcome.removed.count)"])
        }
        return outcome
    }

    /// The store's listing, object URLs and request headers, its credentials asked for.
    private struct Store {
        var list: () async throws -> [StoredObject]
        var url: (String) -> String
        var headers: @Sendable (RequestURL) -> [(String, String)]
    }

    private func resolved() async throws -> Store {
        let (bucket, prefix, uri) = (self.bucket, self.prefix, self.uri)
        if scheme == "gs" {
            let settings = try await GCSSettings.resolved(gcs, for: uri)
            return Store(
                list: { try await settings.list(bucket: bucket, prefix: prefix, label: uri) }, url: { settings.url(bucket: bucket, object: $0) },
                headers: settings.headers)
        }
        let settings = try await S3Settings.resolved(s3, for: uri)
        return Store(
            list: { try await settings.list(bucket: bucket, prefix: prefix, label: uri) }, url: { settings.url(bucket: bucket, key: $0).text },
            headers: settings.signing)
    }

    /// `ETAG PATH` lines: what each file of the folder was downloaded as.
    private func readState() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: root + "/etags") else { return [:] }
        var state: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            state[String(line[line.index(after: space)...])] = String(line[..<space])
        }
        return state
    }

    private func writeState(_ state: [String: String]) throws {
        let text = state.keys.sorted().map { "\(state[$0] ?? "") \($0)\n" }.joined()
        let temporary = root + "/etags." + LocalFiles.uniqueName()
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)), rename(temporary, root + "/etags") == 0 else {
            unlink(temporary)
            throw LedgeError(.runtimeFailure, "\(uri): cannot write \(root)/etags: \(LocalFiles.reason)")
        }
    }

    /// Removes the folders below `path` that hold nothing (not `path` itself).
    private func removeEmptyFolders(_ path: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where LocalFiles.kind(path + "/" + name) == .directory {
            let child = path + "/" + name
            removeEmptyFolders(child)
            if (try? FileManager.default.contentsOfDirectory(atPath: child))?.isEmpty == true { rmdir(child) }
        }
    }
}
