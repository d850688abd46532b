import Foundation
import LedgeCore
import Testing

/// The file checks every reader shares: one line each, naming the path.
@Suite struct CheckedFileTests {
    func read(_ path: String, allowEmpty: Bool = false) throws -> Data {
        try CheckedFile.read(path, kind: "thing", expected: "a thing file", code: .invalidInput, allowEmpty: allowEmpty)
    }

    @Test func eachProblemHasItsLine() throws {
        let dir = NSTemporaryDirectory() + "ledge-checked-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let empty = dir + "/empty"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))

        #expect(throws: LedgeError.invalidInput("thing file not found: /nonexistent/t")) { try read("/nonexistent/t") }
        #expect(throws: LedgeError.invalidInput("thing path is a directory, expected a thing file: \(dir)")) { try read(dir) }
        #expect(throws: LedgeError.invalidInput("thing file is empty: \(empty)")) { try read(empty) }
        #expect(try read(empty, allowEmpty: true).isEmpty)
        #expect(CheckedFile.problem(at: "/nonexistent/t") == .notFound)
        #expect(CheckedFile.problem(at: dir) == .directory)
        #expect(CheckedFile.problem(at: empty) == nil)
    }
}
