import Foundation
import LedgeFuzzing
import LedgeTesting
import Testing

/// Every seed of `Fuzz/Corpus/<Target>/` and every crasher kept in `Fuzz/Crashers/<Target>/`
/// through its fuzz target's body, as `make fuzz` runs it: a trap would end this process,
/// a broken invariant is a test failure naming the file.
@Suite("Fuzz replay", .ownThread)
struct FuzzReplayTests {
    /// `<package>/Fuzz`, from this file's path.
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func files(_ kind: String, _ target: FuzzTarget) throws -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.hasDirectoryPath }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("corpus and crashers hold", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let seeds = try Self.files("Corpus", target)
        #expect(!seeds.isEmpty, "no seeds in Fuzz/Corpus/\(target.rawValue)")
        for file in try seeds + Self.files("Crashers", target) {
            let bytes = try [UInt8](Data(contentsOf: file))
            do {
                try target.run(bytes)
            } catch {
                Issue.record("\(file.pathComponents.suffix(3).joined(separator: "/")): \(error)")
            }
        }
    }

    /// Inputs every target must survive whatever its layout: nothing, one byte, all ones.
    @Test("degenerate inputs", arguments: FuzzTarget.allCases)
    func degenerate(_ target: FuzzTarget) throws {
        for bytes in [[], [0], [1], [UInt8](repeating: 0xFF, count: 64), [UInt8](repeating: 0, count: 64)] as [[UInt8]] {
            #expect(throws: Never.self) { try target.run(bytes) }
        }
    }
}
