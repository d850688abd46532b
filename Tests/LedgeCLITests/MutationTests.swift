import Foundation
import LedgeTesting
import Testing

/// 200 seeded mutations (bit flips, truncations, byte runs) of each fixture model
/// through `ledge inspect`: every process must exit (success or error), never die by a signal or
/// hang, and every failure is one `error:` line that names the file.
@Suite(.ownThread) struct MutationTests {
    static let models = ["efficientnet_lite0.tflite", "ch_ppocr_mobile_v2.0_cls_infer.onnx", "mobilenet_gen.onnx"]

    @Test(arguments: models)
    func mutantsNeverCrashInspect(model: String) throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.model(model)))
        let dir = NSTemporaryDirectory() + "ledge-mutants-\(getpid())-\(model)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ext = (model as NSString).pathExtension
        let failures = FailureList()
        let count = 200
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for index in stride(from: worker, to: count, by: 2) {
                var rng = SeededGenerator(seed: UInt64(index) &* 0x9E37_79B9 &+ UInt64(model.utf8.count))
                let (mutant, how) = Mutator.mutate(original, index: index, rng: &rng)
                let path = "\(dir)/mutant-\(index).\(ext)"
                _ = FileManager.default.createFile(atPath: path, contents: mutant)
                do {
                    let result = try ProcessRunner.ledge(["inspect", path], timeLimit: 60)
                    if result.signaled || result.timedOut {
                        try? FileManager.default.copyItem(atPath: path, toPath: "\(dir)-failing-\(index).\(ext)")
                        failures.add("\(model) mutant \(index) (\(how)): \(result.timedOut ? "hung" : "killed by signal \(result.status)")")
                    } else if result.status != 0 && result.status != 3 && result.status != 4 {
                        failures.add("\(model) mutant \(index) (\(how)): exit \(result.status): \(result.stderr)")
                    } else if result.status != 0 && !result.stderr.hasPrefix("error: ") {
                        failures.add("\(model) mutant \(index) (\(how)): no one-line error: \(result.stderr)")
                    } else if result.status != 0 && (result.stderr.filter { $0 == "\n" }.count != 1 || !result.stderr.contains(path)) {
                        // One line, naming the file: the runtime's own log lines go to the debug log, not stderr.
                        failures.add("\(model) mutant \(index) (\(how)): not one line naming the file: \(result.stderr)")
                    }
                } catch {
                    failures.add("\(model) mutant \(index): could not run ledge: \(error)")
                }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.joined(separator: "\n"))")
    }
}

/// Seeded mutations of a file's bytes.
enum Mutator {
    static func mutate(_ data: Data, index: Int, rng: inout SeededGenerator) -> (Data, String) {
        var bytes = [UInt8](data)
        switch index % 3 {
        case 0:
            let flips = 1 + Int(rng.next() % 16)
            for _ in 0..<flips {
                // Half the flips land in the first 4 KiB, where the structure is.
                let limit = rng.next() % 2 == 0 ? min(4096, bytes.count) : bytes.count
                let at = Int(rng.next() % UInt64(limit))
                bytes[at] ^= UInt8(1 << (rng.next() % 8))
            }
            return (Data(bytes), "\(flips) bit flips")
        case 1:
            let length = Int(rng.next() % UInt64(bytes.count))
            return (Data(bytes.prefix(length)), "truncated to \(length) bytes")
        default:
            let runLength = 1 + Int(rng.next() % 256)
            let limit = rng.next() % 2 == 0 ? min(4096, bytes.count) : bytes.count
            let start = Int(rng.next() % UInt64(limit))
            let value = UInt8(truncatingIfNeeded: rng.next())
            for i in start..<min(start + runLength, bytes.count) { bytes[i] = value }
            return (Data(bytes), "run of \(runLength) x 0x\(String(value, radix: 16)) at \(start)")
        }
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
