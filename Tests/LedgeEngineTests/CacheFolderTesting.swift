import Foundation

/// A fresh folder for a cache test, removed afterwards, and what it holds.
enum CacheFolderTesting {
    static func withDirectory<T>(_ prefix: String, _ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try body(directory)
    }

    /// The names in `directory`, sorted (none when it does not exist).
    static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}
