import Foundation
import LedgeCore
@testable import LedgeEngine
import LedgeLiteRT
import LedgeTesting
import Logging
import Testing

/// A server's model bytes (what LiteRT keeps and reads in place) in an unnamed file mapping
/// instead of memory: one mapping for all the sessions of a model, out of the process's resident
/// memory once compiled, answers unchanged; a folder without unnamed files keeps them in memory.
@Suite(.ownThread) struct ModelCopyTests {
    /// /proc/self/smaps to its end (read(2): /proc files report no size).
    static func smaps() -> String {
        let fd = open("/proc/self/smaps", O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while case let count = read(fd, &chunk, chunk.count), count > 0 { text += chunk.prefix(count) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Each mapping of an unnamed file of `folder` (shown as `FOLDER/#INODE (deleted)`): its size and resident kB.
    static func unnamedMappings(in folder: String) -> [(sizeKB: Int, residentKB: Int)] {
        var found: [(Int, Int)] = []
        var current: Int?
        for line in smaps().split(separator: "\n") {
            if let match = line.wholeMatch(of: /([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+ +(.*)/) {
                current = nil
                if match.3.hasPrefix(folder + "/#") && match.3.hasSuffix(" (deleted)"),
                    let low = Int(match.1, radix: 16), let high = Int(match.2, radix: 16)
                {
                    current = found.count
                    found.append(((high - low) / 1024, -1))
                }
            } else if let index = current, line.hasPrefix("Rss:"), let kb = Int(line.split(separator: " ")[1]) {
                found[index].1 = kb
            }
        }
        return found.map { (sizeKB: $0.0, residentKB: $0.1) }
    }

    @Test func aServersSessionsShareOneUnnamedCopyOutOfResidentMemory() throws {
        let reference = try Fixtures.referenceCase("tflite_fixed")
        let runtime = try LiteRTRuntime.shared()
        var folder = ""
        try CacheFolderTesting.withDirectory("ledge-model-copy") { directory in
            let file = try ModelFile(path: reference.model)  // holds the copy its sessions share
            var cache = XNNPackWeightCache(directory: directory + "/xnnpack")
            cache.mapsModelCopies = true
            folder = cache.directory
            let logger = LogCapture().logger(level: .debug)
            let first = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: logger)
            let second = try cache.open(file: file, options: SessionOptions(threads: 2), runtime: runtime, logger: logger)
            let copies = Self.unnamedMappings(in: cache.directory)
            #expect(copies.count == 1, "one mapping for both sessions: \(copies)")
            #expect(copies.first?.sizeKB == (file.data.count + 4095) / 4096 * 4)
            #expect(copies.first?.residentKB == 0, "dropped from resident memory once compiled: \(copies)")
            #expect(CacheFolderTesting.entries(cache.directory).count == 2, "the entry and its seal; the copy has no name")

            let plain = try LiteRTSession(file: try ModelFile(path: reference.model), options: SessionOptions(threads: 1), runtime: runtime)
            let expected = try XNNPackWeightCacheTests.outputs(plain, reference)
            #expect(try XNNPackWeightCacheTests.outputs(first, reference) == expected)
            #expect(try XNNPackWeightCacheTests.outputs(second, reference) == expected)
        }
        #expect(Self.unnamedMappings(in: folder).isEmpty, "the copy is gone with the sessions and the file")
    }

    @Test func aFolderWithoutUnnamedFilesKeepsTheBytesInMemory() throws {
        let reference = try Fixtures.referenceCase("tflite_fixed")
        let file = try ModelFile(path: reference.model)
        let capture = LogCapture()
        let missing = "/nonexistent-ledge-folder"
        #expect(ModelCopy.mapped(file.data, in: missing, path: file.path, logger: capture.logger(level: .debug)) == nil)
        #expect(capture.messages == ["\(file.path): model bytes kept in memory (no unnamed file in \(missing): No such file or directory)"])
        #expect(ModelCopy.mapped(file.data, in: nil, path: file.path, logger: capture.logger(level: .debug)) == nil)
        #expect(capture.messages.count == 1, "no folder asked for: nothing to say")

        let session = try LiteRTSession(
            file: file, options: SessionOptions(threads: 1), runtime: try LiteRTRuntime.shared(), modelCopyFolder: missing,
            logger: capture.logger(level: .debug))
        let plain = try LiteRTSession(
            file: try ModelFile(path: reference.model), options: SessionOptions(threads: 1), runtime: try LiteRTRuntime.shared())
        #expect(try XNNPackWeightCacheTests.outputs(session, reference) == XNNPackWeightCacheTests.outputs(plain, reference))
    }

    @Test func theCopyHoldsTheBytesAfterItsPagesAreDropped() throws {
        let bytes = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try CacheFolderTesting.withDirectory("ledge-model-copy") { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let storage = try #require(ModelCopy.mapped(bytes, in: directory, path: "bytes", logger: Logger(label: "test")))
            #expect(Int(bitPattern: storage.baseAddress) % TensorStorage.alignment == 0)
            #expect(Data(bytes: storage.baseAddress, count: storage.byteCount) == bytes)
            #expect(Self.unnamedMappings(in: directory).map(\.residentKB) == [12], "three pages, read")
            storage.dropResidentPages()
            #expect(Self.unnamedMappings(in: directory).map(\.residentKB) == [0])
            #expect(Data(bytes: storage.baseAddress, count: storage.byteCount) == bytes, "read back from the page cache")
        }
    }
}
