import Foundation
import LedgeCore
@testable import LedgeEngine
import LedgeONNX
import LedgeTesting
import Logging
import Testing

/// ONNX Runtime's optimized graphs kept between processes: a miss writes an entry, a
/// hit loads it with the same outputs (the Python reference's, within 1e-5, and the
/// uncached session's, to the bit), a broken entry is rebuilt, the size limit holds.
@Suite struct ONNXGraphCacheTests {
    static func withDirectory<T>(_ body: (String) throws -> T) throws -> T {
        try CacheFolderTesting.withDirectory("ledge-graph-cache", body)
    }

    static func entries(_ directory: String) -> [String] { CacheFolderTesting.entries(directory) }

    static func values(_ session: any InferenceSession, _ reference: ReferenceCase) throws -> [Float] {
        try session.run(reference.inputs)[0].values(as: Float.self)
    }

    @Test(arguments: ["ppocr_b4", "onnx_gen_b4"])
    func missWritesAnEntryAndAHitGivesTheSameSession(caseName: String) throws {
        let reference = try Fixtures.referenceCase(caseName)
        let runtime = try ONNXRuntime.shared()
        let file = try ModelFile(path: reference.model)
        try Self.withDirectory { directory in
            let cache = ONNXGraphCache(directory: directory + "/onnx")
            let capture = LogCapture()
            let logger = capture.logger(level: .debug)
            let first = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: logger)
            let names = Self.entries(cache.directory)
            #expect(names.count == 1)
            let name = try #require(names.first)
            #expect(name.wholeMatch(of: /[0-9a-f]{64}-[0-9a-f]{16}\.onnx/) != nil, "\(name)")
            #expect(capture.messages == ["\(reference.model): optimized graph kept in the cache (\(cache.directory)/\(name))"])
            let entry = try Data(contentsOf: URL(fileURLWithPath: cache.directory + "/" + name))
            #expect(entry != file.data)

            let second = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: logger)
            #expect(capture.messages.last == "\(reference.model): optimized graph from the cache (\(cache.directory)/\(name))")
            #expect(Self.entries(cache.directory) == [name])
            let plain = try ONNXSession(file: file, options: SessionOptions(threads: 1), runtime: runtime)
            for info in [first.info, second.info] {
                #expect(info.inputs == plain.info.inputs)
                #expect(info.outputs == plain.info.outputs)
                #expect(info.sizeBytes == plain.info.sizeBytes)
                #expect(info.metadata.properties == plain.info.metadata.properties)
                #expect(info.operators.map(\.name) == plain.info.operators.map(\.name))
                #expect(info.quantized == plain.info.quantized)
            }
            let expected = reference.outputs[0].values(as: Float.self)
            let cached = try Self.values(second, reference)
            #expect(cached == (try Self.values(plain, reference)))
            #expect(zip(cached, expected).map { abs($0 - $1) }.max() ?? 1 <= 1e-5)
        }
    }

    /// How an entry goes bad: cut short, one bit flipped (the graph may still parse: the seal
    /// catches it), or sealed but not a graph the runtime can load.
    enum Damage: String, CaseIterable, Sendable {
        case half, bitFlip, sealedGarbage
    }

    @Test(arguments: Damage.allCases)
    func aBrokenEntryIsReportedAndRebuilt(_ damage: Damage) throws {
        let reference = try Fixtures.referenceCase("ppocr_b1")
        let runtime = try ONNXRuntime.shared()
        let file = try ModelFile(path: reference.model)
        try Self.withDirectory { directory in
            let cache = ONNXGraphCache(directory: directory)
            let capture = LogCapture()
            _ = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: capture.logger())
            let name = try #require(Self.entries(directory).first)
            let path = directory + "/" + name
            let good = try Data(contentsOf: URL(fileURLWithPath: path))
            var bad: Data
            switch damage {
            case .half: bad = good.prefix(good.count / 2)
            case .bitFlip:
                bad = good
                bad[bad.count / 2] ^= 0x10
            case .sealedGarbage:
                let garbage = Data("not an ONNX graph".utf8)
                bad = garbage + Data(GraphSeal.seal(garbage))
            }
            // Written aside and renamed, as a new entry would be (a new inode: the process checks it again).
            try bad.write(to: URL(fileURLWithPath: path + ".new"))
            try FileManager.default.moveItem(atPath: path + ".new", toPath: path + ".swap")
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: path + ".swap", toPath: path)
            let session = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: capture.logger())
            let expectedLine =
                damage == .sealedGarbage
                ? "ONNX graph cache: \(path) could not be loaded (\(reference.model): ONNX Runtime cannot load the model: Failed to load model because protobuf parsing failed.); optimizing \(reference.model) again"
                : "ONNX graph cache: \(path) is damaged (its SHA-256 does not match); optimizing \(reference.model) again"
            #expect(capture.messages == [expectedLine])
            let expected = reference.outputs[0].values(as: Float.self)
            #expect(zip(try Self.values(session, reference), expected).map { abs($0 - $1) }.max() ?? 1 <= 1e-5)
            #expect(Self.entries(directory) == [name])
            // Rebuilt whole (ONNX Runtime's serialization is not byte for byte repeatable): the next open hits it.
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count > good.count / 2)
            let hit = LogCapture()
            _ = try cache.open(file: file, options: SessionOptions(threads: 1), runtime: runtime, logger: hit.logger(level: .debug))
            #expect(hit.messages == ["\(reference.model): optimized graph from the cache (\(path))"])
        }
    }

    @Test func aFolderThatCannotBeWrittenOnlyCostsTheSpeedUp() throws {
        let reference = try Fixtures.referenceCase("add_b2")
        let runtime = try ONNXRuntime.shared()
        try Self.withDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let blocker = directory + "/file"
            try Data("not a folder".utf8).write(to: URL(fileURLWithPath: blocker))
            let cache = ONNXGraphCache(directory: blocker + "/onnx")
            let capture = LogCapture()
            let session = try cache.open(
                file: try ModelFile(path: reference.model), options: SessionOptions(threads: 1), runtime: runtime,
                logger: capture.logger(level: .debug))
            #expect(try Self.values(session, reference) == reference.outputs[0].values(as: Float.self))
            #expect(capture.messages == ["ONNX graph cache: \(blocker)/onnx is not writable; not caching \(reference.model)"])
            #expect(Self.entries(directory) == ["file"])
        }
    }

    @Test func theSizeLimitDropsTheLeastRecentlyUsed() throws {
        let runtime = try ONNXRuntime.shared()
        let models = ["add.onnx", "add_one.onnx", "mlp_gen.onnx"].map { Fixtures.model($0) }
        try Self.withDirectory { directory in
            let unlimited = ONNXGraphCache(directory: directory)
            let logger = LogCapture().logger()
            var names: [String: String] = [:]
            for model in models {
                let before = Set(Self.entries(directory))
                _ = try unlimited.open(file: try ModelFile(path: model), options: SessionOptions(), runtime: runtime, logger: logger)
                names[model] = try #require(Set(Self.entries(directory)).subtracting(before).first)
            }
            #expect(Self.entries(directory).count == 3)
            // add.onnx used again: now the most recent but for the one written next.
            _ = try unlimited.open(file: try ModelFile(path: models[0]), options: SessionOptions(), runtime: runtime, logger: logger)
            let sizes = try models.map {
                try FileManager.default.attributesOfItem(atPath: directory + "/" + names[$0]!)[.size] as! Int
            }
            try FileManager.default.removeItem(atPath: directory + "/" + names[models[2]]!)
            // Room for the entry written now and add.onnx's: add_one.onnx, used longest ago, goes.
            let limited = ONNXGraphCache(directory: directory, sizeLimit: sizes[0] + sizes[2])
            _ = try limited.open(file: try ModelFile(path: models[2]), options: SessionOptions(), runtime: runtime, logger: logger)
            #expect(Set(Self.entries(directory)) == [names[models[0]]!, names[models[2]]!])
        }
    }

    @Test func defaultDirectory() {
        #expect(ONNXGraphCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/x/ledge/onnx")
        #expect(ONNXGraphCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "rel", "HOME": "/h"]) == "/h/.cache/ledge/onnx")
        #expect(ONNXGraphCache.defaultDirectory(environment: [:]) == nil)
    }
}
