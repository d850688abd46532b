internal import LedgeCore
internal import LedgeFetch
internal import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#endif

/// Where the files sent with load requests are kept, and how much one load may send.
public struct UploadSettings: Sendable {
    /// The folder upload folders are made in (`ledge serve`: `<model cache>/uploads`, on disk: a
    /// device's `/tmp` may be memory).
    public var directory: String
    /// The most bytes the files of one load may hold together (`ledge serve`: `--max-body-size`).
    public var maxBytes: Int
    /// The most files one load may send.
    public var maxFiles: Int

    public init(directory: String, maxBytes: Int, maxFiles: Int = 64) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
    }
}

/// A model folder written from a load request's files. It is removed, with everything in it, when
/// the last reference to it goes: when a later load or an unload replaces it, when its load fails,
/// or at ``ModelRepository/removeUploads()`` (the server's shutdown).
final class UploadedFolder: Sendable {
    let path: String
    private let removed = Atomic(false)

    init(path: String) { self.path = path }

    /// Removes the folder now (once).
    func remove() {
        guard !removed.exchange(true, ordering: .relaxed) else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `error` with the folder's paths named as the load named them (`file:1/model.onnx`): its
    /// path is the server's business, not the client's.
    func naming(_ error: LedgeError) -> LedgeError {
        guard error.message.contains(path) else { return error }
        return LedgeError(
            error.code,
            error.message.replacing(path + "/", with: ModelUpload.prefix).replacing(path, with: "the load's files"))
    }

    deinit { remove() }
}

/// Triton's `file:<path>` load parameters: the files of a model folder sent with the load
/// (`tritonclient`'s `load_model(name, config=…, files={"file:1/model.onnx": bytes})`; base64
/// strings over HTTP, `bytes_param` over gRPC), written to a folder of their own and loaded
/// instead of the model's repository folder — a model pushed to a device through the API, under
/// a name the repository may not have. As Triton's, they need the load's `config` (the folder's
/// configuration), and they serve until a load without them or an unload. Nothing is written
/// into the repository; a load that fails leaves no file behind.
public enum ModelUpload {
    /// The prefix of the load parameters that carry files.
    public static let prefix = "file:"

    /// Whether load parameter `key` carries a file.
    public static func isFile(_ key: String) -> Bool { key.hasPrefix(prefix) }

    /// The folder path parts `key` names below the model folder: `file:<version>/<file>`,
    /// `file:warmup/<file>` (a `model_warmup` sample's data) or `file:<file>` (a labels file, a
    /// flat layout's model), each part a plain name.
    static func parts(of key: String) throws -> [String] {
        let relative = key.dropFirst(prefix.count)
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let valid =
            (1...2).contains(parts.count) && parts.allSatisfy { RepositoryLayout.problem(name: $0, what: "") == nil }
            && (parts.count == 1 || RepositoryLayout.versionNumber(parts[0]) != nil || parts[0] == "warmup")
        guard valid else {
            throw LedgeError.invalidInput(
                "load parameter '\(key)' is not a file of a model folder: expected file:<version>/<file> (file:1/model.onnx), file:warmup/<file> or file:<file>, "
                    + "each a name of letters, digits, '-', '_' or '.'")
        }
        if parts == ["config.pbtxt"] {
            throw LedgeError.invalidInput(
                "load parameter '\(key)': the configuration of uploaded files comes as JSON in the load's 'config' parameter, not as a file")
        }
        return parts
    }

    /// Checks `files` (by `file:` key) against `settings` and writes them to a new folder for model
    /// `name`; `hasConfig`: the load has a `config` parameter, which files need.
    static func write(_ files: [String: Data], model name: String, hasConfig: Bool, settings: UploadSettings?) throws -> UploadedFolder {
        let keys = files.keys.sorted()
        guard let first = keys.first else { throw LedgeError.invalidInput("load request has no files") }
        guard let settings else {
            throw LedgeError.invalidInput("load parameter '\(first)' is not supported: this server takes no model files with a load")
        }
        guard hasConfig else {
            throw LedgeError.invalidInput(
                "load parameter '\(first)' needs the load's 'config' parameter: files sent with a load form the model's folder, "
                    + "and its configuration comes as JSON in 'config'")
        }
        guard keys.count <= settings.maxFiles else {
            throw LedgeError.invalidInput("load request sends \(keys.count) files: at most \(settings.maxFiles)")
        }
        let paths = try keys.map { try parts(of: $0) }
        let total = files.values.reduce(0) { $0 + $1.count }
        guard total <= settings.maxBytes else {
            throw LedgeError(.tooLarge, "the files of the load request hold \(total) bytes: at most \(settings.maxBytes) (--max-body-size)")
        }
        let folder = UploadedFolder(path: try makeFolder(in: settings.directory, model: name))
        for (key, parts) in zip(keys, paths) {
            if parts.count == 2 {
                let version = folder.path + "/" + parts[0]
                guard mkdir(version, 0o700) == 0 || errno == EEXIST else { throw failure("cannot create \(version)") }
            }
            try write(files[key] ?? Data(), to: folder.path + "/" + parts.joined(separator: "/"))
        }
        return folder  // on a throw above, released: removed with what was written
    }

    /// Removes the upload folders of processes that are gone (a server killed before its shutdown).
    static func sweep(_ directory: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let pid = pid(of: entry), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: directory + "/" + entry)
        }
    }

    /// A new folder `<pid>-<model>-XXXXXX` in `directory` (made with its parents).
    private static func makeFolder(in directory: String, model: String) throws -> String {
        try LocalFiles.makeDirectories(directory)
        var template = Array("\(directory)/\(getpid())-\(model)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw failure("cannot create a folder in \(directory)")
        }
        return String(cString: made)
    }

    /// Writes `data` to the new file `path` (never through a link, never over a file).
    private static func write(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create \(path)") }
        defer { close(fd) }
        guard data.withUnsafeBytes({ StandardStreams.writeAll($0, to: fd) }) else { throw failure("cannot write \(path)") }
    }

    /// The process id an upload folder's name starts with.
    private static func pid(of entry: String) -> pid_t? {
        entry.split(separator: "-", maxSplits: 1).first.flatMap { pid_t($0) }
    }

    private static func failure(_ what: String) -> LedgeError {
        LedgeError.runtimeFailure("model upload: \(what): \(String(cString: strerror(errno)))")
    }
}
