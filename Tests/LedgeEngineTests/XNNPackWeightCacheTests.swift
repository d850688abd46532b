import Foundation
import LedgeCore
@testable import LedgeEngine
import LedgeLiteRT
import LedgeTesting
import Logging
import Testing

/// XNNPACK's packed weights kept in files: a miss packs and keeps a sealed entry, later sessions
/// map that entry (one copy for all of them) and answer as the Python reference and the uncached
/// session do, to the bit; a damaged entry is found by its seal and rebuilt.
@Suite(.ownThread) struct XNNPackWeightCacheTests {
    static func withDirectory<T>(_ body: (String) throws -> T) throws -> T {
        try CacheFolderTesting.withDirectory("ledge-xnnpack-cache", body)
    }

    static func entries(_ directory: String) -> [String] { CacheFolderTesting.entries(directory) }

    /// The cache's own log lines.
    static func cacheLines(_ capture: LogCapture) -> [String] {
        capture.messages.filter { $0.contains("cache") }
    }

    /// How many mappings of `path` this process has (XNNPACK maps an entry it reads). Read to the
    /// end with read(2): /proc files report no size, and Foundation stops early on a large one.
    static func mappings(of path: String) -> Int {
        let fd = open("/proc/self/maps", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while case let count = read(fd, &chunk, chunk.count), count > 0 { text += chunk.prefix(count) }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").filter { $0.hasSuffix(path) }.count
    }

    static func outputs(_ session: any InferenceSession, _ reference: ReferenceCase) throws -> [UInt8] {
        try session.run(reference.inputs)[0].values(as: UInt8.self)
    }

    @Test func aMissKeepsASealedEntryThatLaterSessionsMap() throws {
        let reference = try Fixtures.referenceCase("tflite_fixed")
        let runtime = try LiteRTRuntime.shared()
        let file = try ModelFile(path: reference.model)
        try Self.withDirectory { directory in
            let cache = XNNPackWeightCache(directory: directory + "/xnnpack")
            let capture = LogCapture()
            let logger = capture.logger(level: .debug)
            let first = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: logger)
            let names = Self.entries(cache.directory)
            #expect(names.count == 2, "the entry and its seal, no temporary file: \(names)")
            let name = try #require(names.first)
            #expect(name.wholeMatch(of: /[0-9a-f]{64}-[0-9a-f]{16}\.xnn/) != nil, "\(name)")
            #expect(names.last == name + ".sha256")
            let entry = cache.directory + "/" + name
            #expect(Self.cacheLines(capture) == ["\(reference.model): packed weights kept in the cache (\(entry))"])
            let seal = try String(contentsOfFile: entry + ".sha256", encoding: .utf8)
            #expect(seal == WeightSeal.digest(try Data(contentsOf: URL(fileURLWithPath: entry))) + "\n")

            let second = try cache.open(file: file, options: SessionOptions(threads: 2), runtime: runtime, logger: logger)
            #expect(Self.cacheLines(capture).last == "\(reference.model): packed weights from the cache (\(entry))")
            #expect(Self.mappings(of: entry) >= 1, "the second session maps the entry")
            #expect(Self.entries(cache.directory) == names)

            let plain = try LiteRTSession(file: file, options: SessionOptions(threads: 1), runtime: runtime)
            let expected = reference.outputs[0].values(as: UInt8.self)
            let uncached = try Self.outputs(plain, reference)
            #expect(zip(uncached, expected).map { abs(Int($0) - Int($1)) }.max() ?? 255 <= 1, "the uncached session against Python")
            #expect(try Self.outputs(first, reference) == uncached)
            #expect(try Self.outputs(second, reference) == uncached)
            #expect(second.info.inputs == plain.info.inputs && second.info.outputs == plain.info.outputs)
        }
    }

    @Test func aDamagedEntryIsFoundByItsSealAndRebuilt() throws {
        let reference = try Fixtures.referenceCase("tflite_fixed")
        let runtime = try LiteRTRuntime.shared()
        let file = try ModelFile(path: reference.model)
        try Self.withDirectory { directory in
            let cache = XNNPackWeightCache(directory: directory + "/xnnpack")
            _ = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: Logger(label: "test"))
            let name = try #require(Self.entries(cache.directory).first)
            let entry = cache.directory + "/" + name
            // One bit flipped in the packed weights, as an SD card may: the file still loads.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: entry))
            bytes[bytes.count / 2] ^= 0x10
            try bytes.write(to: URL(fileURLWithPath: entry))

            let capture = LogCapture()
            let session = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: capture.logger(level: .debug))
            #expect(
                Self.cacheLines(capture) == [
                    "XNNPACK weight cache: \(entry) is damaged (its SHA-256 does not match); packing \(reference.model) again",
                    "\(reference.model): packed weights kept in the cache (\(entry))",
                ])
            let rebuilt = try Data(contentsOf: URL(fileURLWithPath: entry))
            #expect(try String(contentsOfFile: entry + ".sha256", encoding: .utf8) == WeightSeal.digest(rebuilt) + "\n")
            let plain = try LiteRTSession(file: file, options: SessionOptions(threads: 1), runtime: runtime)
            #expect(try Self.outputs(session, reference) == (try Self.outputs(plain, reference)))
        }
    }

    @Test func aFolderThatCannotBeWrittenOnlyCostsTheSharing() throws {
        let reference = try Fixtures.referenceCase("tflite_fixed")
        let file = try ModelFile(path: reference.model)
        try Self.withDirectory { directory in
            // A folder under a regular file can never be created.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: directory + "/file", contents: Data())
            let cache = XNNPackWeightCache(directory: directory + "/file/xnnpack")
            let capture = LogCapture()
            let session = try ModelLoader.open(
                file: file, options: EngineOptions(session: SessionOptions(threads: 1), xnnpackCache: cache), logger: capture.logger(level: .debug))
            #expect(Self.cacheLines(capture) == ["XNNPACK weight cache: \(cache.directory) is not writable; not caching \(reference.model)"])
            #expect(Self.entries(directory) == ["file"])
            let expected = reference.outputs[0].values(as: UInt8.self)
            #expect(zip(try Self.outputs(session, reference), expected).map { abs(Int($0) - Int($1)) }.max() ?? 255 <= 1)
        }
    }
}
