import Foundation
import LedgeCore
import LedgeVision
import Testing

@Suite struct LabelsTests {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "ledge-labels-\(UUID().uuidString).txt"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func oneLabelPerLine() throws {
        let path = try write("  background\r\ntench \r\n\ngoldfish\n\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Labels.load(path: path) == ["background", "tench", "", "goldfish"])
    }

    @Test func indexedLines() {
        #expect(Labels.parse("0 cat\n1: dog\n3:  bird house\n") == ["cat", "dog", "", "bird house"])
        #expect(Labels.parse("2 cat\n1 dog") == ["", "dog", "cat"])
        // Not every line is indexed: line order decides.
        #expect(Labels.parse("0 cat\ndog\n") == ["0 cat", "dog"])
        #expect(Labels.parse("1st place\n2nd place") == ["1st place", "2nd place"])
    }

    @Test func errors() throws {
        #expect(throws: LedgeError.invalidInput("labels file not found or unreadable: /nonexistent/labels.txt")) {
            try Labels.load(path: "/nonexistent/labels.txt")
        }
        let path = try write("\n\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: LedgeError.invalidInput("\(path): empty labels file, expected one label per line")) {
            try Labels.load(path: path)
        }
    }

    @Test func topKOrdersByScoreThenIndex() {
        let scores: [Float] = [0.1, 0.5, 0.2, 0.5, .nan, 0.9]
        let top = topK(scores, k: 3)
        #expect(top.map(\.index) == [5, 1, 3])
        #expect(top.map(\.score) == [0.9, 0.5, 0.5])
        #expect(topK(scores, k: 10).map(\.index) == [5, 1, 3, 2, 0, 4])
        #expect(topK(scores, k: 0).isEmpty && topK([], k: 3).isEmpty)
        #expect(topK([1, 1, 1], k: 2).map(\.index) == [0, 1])
    }
}
