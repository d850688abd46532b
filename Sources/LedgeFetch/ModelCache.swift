internal import LedgeCore
internal import LedgeRelease

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// The content-addressed cache of fetched models:
///
/// - `sha256/<hex>/<file name>`: a model file whose content has that sha256;
/// - `sha256/<hex>.d/`: an archive with that sha256, unpacked;
/// - `partial/<sha256 of the URI>.part`: a download under way (kept after a cut, to resume);
/// - `staging/<unique>/`: what is being put in place; renamed into `sha256/` only once complete.
///
/// An entry under `sha256/` appears whole or not at all (one `rename`).
struct ModelCache {
    let root: String

    var partialFolder: String { root + "/partial" }

    /// Creates the cache's folders.
    func prepare() throws {
        for folder in ["sha256", "partial", "staging"] { try LocalFiles.makeDirectories(root + "/" + folder) }
    }

    /// The cached model (file or unpacked folder) whose content has `sha256`, if any.
    func lookup(_ sha256: String) -> String? {
        let folder = root + "/sha256/" + sha256
        if LocalFiles.kind(folder + ".d") == .directory { return folder + ".d" }
        let files = LocalFiles.files(in: folder)
        return files.count == 1 ? folder + "/" + files[0] : nil
    }

    /// Where the download of `uri` (its text without the fragment) is kept until complete.
    func partialPath(for uri: String) -> String {
        partialFolder + "/" + ContentDigest.sha256(Array(uri.utf8)) + ".part"
    }

    /// A new empty folder under `staging/`.
    func makeStaging() throws -> String {
        let path = root + "/staging/" + LocalFiles.uniqueName()
        guard mkdir(path, 0o755) == 0 else { throw LedgeError(.runtimeFailure, "cannot create \(path): \(LocalFiles.reason)") }
        return path
    }

    /// Moves the complete, synced file at `path` to `sha256/<hex>/<name>`; returns where it is now.
    func storeFile(moving path: String, sha256: String, name: String) throws -> String {
        let staging = try makeStaging()
        guard rename(path, staging + "/" + name) == 0 else {
            LocalFiles.remove(staging)
            throw LedgeError(.runtimeFailure, "cannot move \(path) into the cache: \(LocalFiles.reason)")
        }
        LocalFiles.sync(staging)
        return try install(staging, as: sha256) + "/" + name
    }

    /// Moves the unpacked folder `staging` to `sha256/<hex>.d`; returns where it is now.
    func storeFolder(_ staging: String, sha256: String) throws -> String {
        try install(staging, as: sha256 + ".d")
    }

    /// Renames `staging` to `sha256/<key>`; when another fetch put it there first, keeps theirs.
    private func install(_ staging: String, as key: String) throws -> String {
        let target = root + "/sha256/" + key
        if rename(staging, target) != 0 {
            let reason = LocalFiles.reason
            LocalFiles.remove(staging)
            guard LocalFiles.kind(target) == .directory else {
                throw LedgeError(.runtimeFailure, "cannot move a fetched model to \(target): \(reason)")
            }
        }
        LocalFiles.sync(root + "/sha256")
        return target
    }
}
