#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Files read whole, with the checks every reader makes (it exists, it is not
/// a directory, it can be read, it is not empty), each failure one line that
/// names the path.
public enum CheckedFile {
    /// Why a path is not a file to read.
    public enum Problem: Sendable {
        case notFound
        case directory
    }

    /// What is wrong with `path` short of reading it; `nil` when it exists and is not a directory.
    public static func problem(at path: String) -> Problem? {
        guard PathName.exists(path) else { return .notFound }
        return PathName.isDirectory(path) ? .directory : nil
    }

    /// The bytes of the `kind` file (`model`, `image`, …) at `path`, else a
    /// ``LedgeError`` of `code`: "`kind` file not found: `path`", "`kind` path is
    /// a directory, expected `expected`: `path`", "cannot read `kind` file:
    /// `path`", and unless `allowEmpty`, "`kind` file is empty: `path`".
    public static func read(
        _ path: String, kind: String, expected: String, code: LedgeError.Code,
        allowEmpty: Bool = false
    ) throws -> Data {
        switch problem(at: path) {
        case .notFound: throw LedgeError(code, "\(kind) file not found: \(path)")
        case .directory: throw LedgeError(code, "\(kind) path is a directory, expected \(expected): \(path)")
        case nil: break
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError(code, "cannot read \(kind) file: \(path)")
        }
        guard allowEmpty || !data.isEmpty else { throw LedgeError(code, "\(kind) file is empty: \(path)") }
        return data
    }
}
