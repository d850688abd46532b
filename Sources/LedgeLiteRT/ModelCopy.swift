internal import CLedgeProcess
public import LedgeCore
public import Logging

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#endif

/// The model bytes LiteRT keeps for a session's lifetime, as a file mapping instead of memory.
///
/// LiteRT reads the model in place (the graph, and the weights of ops XNNPACK does not run) for
/// as long as it is compiled, so a server holds the file's bytes: as an anonymous copy they stay
/// resident for good (efficientnet_lite0: 5.4 MB). Written to a file that has no name (`O_TMPFILE`)
/// and mapped, they are page-cache pages: once compiled, the session drops them from the process
/// and those LiteRT reads again come back; under memory pressure the kernel can drop them instead
/// of keeping them. The file has no name, so nothing can change or truncate it under the mapping
/// (a copy of the validated bytes, unlike the user's file, which may be replaced while served),
/// and it is gone once unmapped.
public enum ModelCopy {
    /// `data` mapped from an unnamed file in `folder`; `nil` (the caller copies it into memory) when
    /// `folder` is `nil` or the file cannot be made there (said on the debug level).
    public static func mapped(_ data: Data, in folder: String?, path: String, logger: Logger) -> TensorStorage? {
        guard let folder, !data.isEmpty else { return nil }
        var error: Int32 = 0
        let mapping = data.withUnsafeBytes { ledge_map_unnamed_copy(folder, $0.baseAddress, $0.count, &error) }
        guard let mapping else {
            logger.debug("\(path): model bytes kept in memory (no unnamed file in \(folder): \(String(cString: strerror(error))))")
            return nil
        }
        let count = data.count
        return TensorStorage(adopting: mapping, byteCount: count, mappedFromFile: true) { _ = munmap($0, count) }
    }
}
