#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Where a command puts an output it replaces whole (an image layout, a build context, a folder
/// of manifests, an archive): what is already at the path may be replaced only when it is such an
/// output itself — never a folder of someone's files, never a file the command reads.
public enum OutputPlace {
    /// What the output is.
    public enum Kind: Sendable {
        /// A folder; `earlier` tells, from the names in a folder already there, whether it is an earlier such output.
        case folder(earlier: @Sendable (_ names: [String]) -> Bool)
        /// A file.
        case file
    }

    /// Throws, naming `option` and `path`, unless `path` may become the output `what` (as "OCI layout"):
    /// nothing is there, an empty folder or an earlier output of the kind, or (for a file) a file —
    /// and none of `inputs` is at or under it.
    public static func check(_ path: String, _ kind: Kind, what: String, option: String, inputs: [String]) throws {
        let last = path.split(separator: "/").last.map(String.init) ?? path
        guard !path.isEmpty, last != ".", last != "..", path != "/" else {
            throw LedgeError.usage("\(option) \(path): expected the path of a new \(what), not a folder above it")
        }
        if let input = input(at: path, among: inputs) {
            throw LedgeError.usage("\(option) \(path) holds the input \(input): writing the \(what) there would destroy it")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let type = info.st_mode & S_IFMT
        switch kind {
        case .file:
            guard type == S_IFREG || type == S_IFLNK else {
                throw LedgeError.usage(
                    "\(option) \(path): \(type == S_IFDIR ? "is a folder" : "is no regular file"): expected a file path for the \(what)")
            }
        case .folder(let earlier):
            guard type == S_IFDIR else {
                throw LedgeError.usage("\(option) \(path): is a file: expected a new path, an empty folder or an earlier \(what)")
            }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            guard names.isEmpty || earlier(names) else {
                let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", …" : "")
                throw LedgeError.usage(
                    "\(option) \(path): the folder holds other files (\(shown)): expected a new path, an empty folder or an earlier \(what)")
            }
        }
    }

    /// The first of `inputs` that is `path` or lies under it, however either is named (symbolic links
    /// resolved); `nil` when none does.
    static func input(at path: String, among inputs: [String]) -> String? {
        let place = resolved(path)
        return inputs.first { input in
            let read = resolved(input)
            return read == place || read.hasPrefix(place + "/")
        }
    }

    /// `path` made absolute with its symbolic links resolved (as far as it exists).
    static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let parent = URL(fileURLWithPath: absolute).deletingLastPathComponent().path
        guard parent != absolute, let real = realpath(parent, nil) else { return absolute }
        defer { free(real) }
        return String(cString: real) + "/" + URL(fileURLWithPath: absolute).lastPathComponent
    }
}
