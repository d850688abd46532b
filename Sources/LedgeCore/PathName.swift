#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// File-path string operations, as Foundation's `NSString` path methods do them.
public enum PathName {
    /// `directory/name`; `name` alone when `directory` is empty, no second `/` when it ends with one.
    public static func appending(_ name: String, to directory: String) -> String {
        if name.isEmpty { return directory }
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The path without its last component: `/a/b/` → `/a`, `/a` → `/`, `b` → ``.
    public static func deletingLastComponent(_ path: String) -> String {
        let fixed = collapsingSlashes(path)
        if fixed == "/" || fixed.isEmpty { return fixed }
        guard let slash = fixed.lastIndex(of: "/") else { return "" }
        return slash == fixed.startIndex ? "/" : String(fixed[..<slash])
    }

    /// The extension of the last component, without the dot: `a.tar.gz` → `gz`;
    /// empty for `a`, `a.` and `.hidden`.
    public static func pathExtension(_ path: String) -> String {
        let fixed = collapsingSlashes(path)
        let name = fixed[(fixed.lastIndex(of: "/").map(fixed.index(after:)) ?? fixed.startIndex)...]
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// The last component: `/a/b.onnx` → `b.onnx`, `/a/b/` → `b`, `/` → `/`.
    public static func lastComponent(_ path: String) -> String {
        let fixed = collapsingSlashes(path)
        if fixed == "/" { return fixed }
        return String(fixed[(fixed.lastIndex(of: "/").map(fixed.index(after:)) ?? fixed.startIndex)...])
    }

    /// True when `path` names a directory (following symbolic links).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// True when something exists at `path` (following symbolic links).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// What changes when the file at `path` changes (size, modification time, inode, device), as
    /// `PATH:SIZE:SECONDS.NANOSECONDS:INODE:DEVICE`; `PATH:missing` when it cannot be read.
    public static func fingerprint(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return path + ":missing" }
        return "\(path):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec):\(info.st_ino):\(info.st_dev)"
    }

    /// `fstat` of an open descriptor: whether it is a regular file and its size, `nil` when it
    /// fails. These `stat` readers are here rather than at their callers: in a module whose compilation also loads Foundation
    /// (a `Date`, a generic `StringProtocol` initializer), CoreFoundation's clang module can own
    /// `struct stat`, and Swift 6's MemberImportVisibility then refuses its fields in a file that
    /// imports only Glibc (seen in LedgeServing's shared memory regions, from a clean build only).
    public static func status(descriptor: Int32) -> (regularFile: Bool, size: Int64)? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return (info.st_mode & S_IFMT == S_IFREG, Int64(info.st_size))
    }

    /// Runs of `/` made one, and no trailing `/` (but for `/` itself): `/mnt/models/` is `/mnt/models`.
    public static func collapsingSlashes(_ path: String) -> String {
        var result = ""
        for c in path where !(c == "/" && result.hasSuffix("/")) { result.append(c) }
        if result.count > 1, result.hasSuffix("/") { result.removeLast() }
        return result
    }
}
