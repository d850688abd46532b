import Foundation
import LedgeCore
import LedgeLiteRT
import LedgeTesting
import Testing

/// Seeded mutations of efficientnet_lite0.tflite (bit flips, truncations, byte
/// runs) through the reader and session creation, in process: nothing may crash,
/// and every failure must be a `LedgeError`.
@Suite("TFLite fuzz", .ownThread)
struct FuzzTests {
    enum Mutation: CaseIterable { case bitFlips, truncation, byteRun, headerFlips }

    static func mutate(_ original: [UInt8], seed: UInt64) -> (Mutation, [UInt8]) {
        var rng = SeededGenerator(seed: seed)
        var bytes = original
        let kind = Mutation.allCases[Int(seed) % Mutation.allCases.count]
        switch kind {
        case .bitFlips:
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
        case .truncation:
            bytes = Array(bytes.prefix(Int.random(in: 8..<bytes.count, using: &rng)))
        case .byteRun:
            let length = Int.random(in: 4...64, using: &rng)
            let start = Int.random(in: 0..<(bytes.count - length), using: &rng)
            let value: UInt8 = [0x00, 0xFF, 0x7F, UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng) ?? 0
            for i in start..<start + length { bytes[i] = value }
        case .headerFlips:
            // The flatbuffer tables (not the weights) sit in the first and last few kilobytes.
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let region =
                    Bool.random(using: &rng)
                    ? 0..<min(4096, bytes.count)
                    : max(0, bytes.count - 120_000)..<bytes.count
                let i = Int.random(in: region, using: &rng)
                bytes[i] = UInt8.random(in: 0...255, using: &rng)
            }
        }
        return (kind, bytes)
    }

    @Test func mutantsNeverCrash() throws {
        let original = try #require(FileManager.default.contents(atPath: Support.modelPath))
        let runtime = try Support.runtime()
        let verbose = ProcessInfo.processInfo.environment["LEDGE_FUZZ_VERBOSE"] != nil
        let count = Int(ProcessInfo.processInfo.environment["LEDGE_FUZZ_COUNT"] ?? "") ?? 300
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-fuzz-\(getpid()).tflite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var outcomes: [String: Int] = [:]
        for seed in 1...UInt64(count) {
            let (kind, bytes) = Self.mutate([UInt8](original), seed: seed)
            if verbose { FileHandle.standardError.write("fuzz seed \(seed) \(kind)\n".data(using: .utf8) ?? Data()) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let file = try ModelFile(path: path)
                let session = try LiteRTSession(file: file, options: SessionOptions(threads: 1), runtime: runtime)
                if seed % 10 == 0, let spec = session.info.inputs.first, !spec.isDynamic {
                    _ = try session.run([Tensor(dtype: spec.dtype, shape: spec.shape)])
                }
                outcomes["accepted", default: 0] += 1
            } catch let error as LedgeError {
                let key = error.message.contains("truncated or corrupt") ? "rejected by reader" : "rejected: \(error.code)"
                outcomes[key, default: 0] += 1
                if verbose { FileHandle.standardError.write("  -> \(error.message)\n".data(using: .utf8) ?? Data()) }
            } catch {
                Issue.record("seed \(seed): non-Ledge error \(error)")
            }
        }
        #expect(outcomes.values.reduce(0, +) == count)
        #expect((outcomes["rejected by reader"] ?? 0) > 0)
    }
}
