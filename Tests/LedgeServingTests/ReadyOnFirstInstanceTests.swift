import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeTesting
import Logging
import Testing

/// `ledge serve`'s repositories are ready once each model's first instance (a
/// one-thread one) is open: it serves everyone until the server listens and
/// the others open and join.
@Suite(.ownThread) struct ReadyOnFirstInstanceTests {
    @Test func theFirstInstanceServesUntilTheOthersJoin() async throws {
        let options = RepositoryOptions(instances: nil, cores: AdaptivePoolTests.cores, readyOnFirstInstance: true)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let repository = try ModelRepository.load(
            .file(path: Fixtures.model("efficientnet_lite0.tflite"), name: "effnet"), options: options, logger: logger)
        let model = try repository.model(named: "effnet")

        // Ready with one one-thread instance; the other and the wide one still to come.
        #expect(model.pool.instances.map(\.threads) == [1])
        #expect(model.pool.wide == nil)
        #expect(model.pool.expected == 2)
        #expect(model.pool.capacity == AdaptivePoolTests.cores)
        #expect(model.pool.slots == 2)
        #expect(String(decoding: repository.metrics.exposition(), as: UTF8.self).contains(#"ledge_model_instances{model="effnet",version="1"} 1"#))

        // Concurrent requests all run, one at a time, on that instance.
        let reference = try await run(model, clients: 4)
        var counters = model.pool.counters
        #expect(counters.wideRuns == 0 && counters.narrowRuns == 8)
        #expect(counters.peakRunning == 1 && counters.peakThreadsBusy == 1)

        repository.openRemainingInstances()
        await model.pool.complete()
        #expect(model.pool.expected == 0)
        #expect(model.pool.narrow.map(\.threads) == [1, 1])
        #expect(model.pool.wide?.threads == AdaptivePoolTests.cores)
        #expect(model.pool.instances.count == 3)
        #expect(String(decoding: repository.metrics.exposition(), as: UTF8.self).contains(#"ledge_model_instances{model="effnet",version="1"} 3"#))

        // A lone request now runs on the wide instance, concurrent ones side by side on the
        // narrow instances, with the same outputs.
        let lone = try await model.pool.run { $0.threads }
        #expect(lone == AdaptivePoolTests.cores)
        model.pool.resetPeaks()
        let after = try await run(model, clients: 4)
        counters = model.pool.counters
        #expect(counters.narrowRuns > 8)
        #expect(counters.peakRunning == AdaptivePoolTests.cores)
        #expect(counters.peakThreadsBusy == AdaptivePoolTests.cores)
        #expect(after == reference)
    }

    /// Once a model's instances are all open — at load, or later when it is ready on the first —
    /// the heap their loads freed goes back to the system (malloc_trim), the code pages are
    /// unmapped (CodePagesTests), and the log says so.
    @Test func theFreedHeapIsReturnedOnceTheInstancesAreOpen() async throws {
        let released = { (name: String) in
            [
                "model '\(name)' version 1: instances open; freed heap returned to the system; ",
                "model '\(name)' version 1: instances open; no freed heap to return to the system; ",
            ].map { prefix in { (line: String) in line.hasPrefix(prefix) && line.hasSuffix(" MB of code unmapped") } }
        }
        let capture = LogCapture()
        let atLoad = try ModelRepository.load(
            .file(path: Fixtures.model("add.onnx"), name: "add"), options: RepositoryOptions(instances: nil, cores: AdaptivePoolTests.cores),
            logger: capture.logger(level: .debug))
        #expect(capture.messages.filter { line in released("add").contains { $0(line) } }.count == 1)
        _ = atLoad

        let later = try ModelRepository.load(
            .file(path: Fixtures.model("add.onnx"), name: "later"),
            options: RepositoryOptions(instances: nil, cores: AdaptivePoolTests.cores, readyOnFirstInstance: true),
            logger: capture.logger(level: .debug))
        #expect(capture.messages.filter { line in released("later").contains { $0(line) } }.isEmpty)
        later.openRemainingInstances()
        await (try later.model(named: "later")).pool.complete()
        var logged = false
        for _ in 0..<500 where !logged {
            logged = capture.messages.contains { line in released("later").contains { $0(line) } }
            if !logged { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(logged)
    }

    @Test func withoutItEveryInstanceIsOpenWhenLoadReturns() throws {
        let options = RepositoryOptions(instances: nil, cores: AdaptivePoolTests.cores)
        let repository = try ModelRepository.load(
            .file(path: Fixtures.model("add.onnx"), name: "add"), options: options, logger: Logger(label: "test"))
        let pool = try repository.model(named: "add").pool
        #expect(pool.instances.count == 3 && pool.expected == 0)
        #expect(pool.wide?.threads == AdaptivePoolTests.cores)
        // The completed config lists them, as Triton's does: two narrow ones and the wide one.
        #expect(try repository.model(named: "add").config.instanceGroups == [InstanceGroupConfig(count: 3, kind: "KIND_CPU")])
    }

    /// `clients` clients × 2 requests with different inputs; the outputs by input seed.
    private func run(_ model: ServedModel, clients: Int) async throws -> [UInt8: [UInt8]] {
        try await withThrowingTaskGroup(of: (UInt8, [UInt8]).self) { group in
            for client in 0..<clients {
                for request in 0..<2 {
                    let seed = UInt8(client * 2 + request) * 16
                    group.addTask {
                        let output = try await model.pool.run { instance in
                            try instance.session.run([AdaptivePoolTests.input(seed)])[0]
                        }
                        return (seed, output.values(as: UInt8.self))
                    }
                }
            }
            var outputs: [UInt8: [UInt8]] = [:]
            for try await (seed, values) in group { outputs[seed] = values }
            return outputs
        }
    }
}
