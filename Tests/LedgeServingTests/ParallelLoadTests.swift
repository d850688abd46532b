import Dispatch
import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Logging
import Synchronization
import Testing

/// Loads that have begun and have not yet been let through, for the barrier below.
final class LoadBarrier: Sendable {
    /// Loads that have begun; the most begun when one looked; the most inside the barrier at once.
    let state = Mutex((begun: [String](), peak: 0, inside: 0, peakInside: 0))
    let expected: Int
    let seconds: Int
    init(expected: Int, seconds: Int = 60) {
        self.expected = expected
        self.seconds = seconds
    }

    /// Waits (at most `seconds`, a guard against a hang, not a measure) until `expected`
    /// loads have begun: only loads that run at the same time can all get here.
    func arrive(_ name: String) {
        state.withLock {
            $0.begun.append(name)
            $0.inside += 1
            $0.peakInside = max($0.peakInside, $0.inside)
        }
        defer { state.withLock { $0.inside -= 1 } }
        let deadline = DispatchTime.now() + .seconds(seconds)
        while DispatchTime.now() < deadline {
            let seen = state.withLock { state in
                state.peak = max(state.peak, state.begun.count)
                return state.begun.count
            }
            if seen >= expected { return }
            usleep(1000)
        }
    }
}

/// A repository's models load at the same time, TFLite ones included (their
/// stderr capture windows overlap instead of queueing).
@Suite(.ownThread) struct ParallelLoadTests {
    @Test func fourModelsLoadAtTheSameTime() throws {
        let barrier = LoadBarrier(expected: 4)
        var options = RepositoryOptions(instances: 1)
        options.willLoad = { barrier.arrive($0) }
        let files = [
            ModelFileSource(path: Fixtures.model("efficientnet_lite0.tflite"), name: "effnet_a"),
            ModelFileSource(path: Fixtures.model("efficientnet_lite0.tflite"), name: "effnet_b"),
            ModelFileSource(path: Fixtures.model("add.onnx"), name: "add"),
            ModelFileSource(path: Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"), name: "cls"),
        ]
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let repository = try ModelRepository.load(.files(files), options: options, logger: logger)
        // All four had begun before any was let through: they were loading at once.
        #expect(barrier.state.withLock { $0.peak } == 4)
        #expect(Set(barrier.state.withLock { $0.begun }) == ["effnet_a", "effnet_b", "add", "cls"])
        #expect(
            repository.index().map { "\($0.name) \($0.state ?? "-")" }.sorted() == ["add READY", "cls READY", "effnet_a READY", "effnet_b READY"])
        #expect(try repository.model(named: "effnet_b").info.inputs[0].shape == [1, 224, 224, 3])
    }

    /// A large repository loads a few models at a time (at most max(4, 2 × cores)), not all at once.
    @Test func aLargeRepositoryLoadsAFewAtATime() throws {
        // Six loads, room for four: four wait here for a fifth that cannot come until one ends.
        let barrier = LoadBarrier(expected: 5, seconds: 2)
        var options = RepositoryOptions(instances: 1, cores: 1)
        options.willLoad = { barrier.arrive($0) }
        let files = (0..<6).map { ModelFileSource(path: Fixtures.model("add.onnx"), name: "add_\($0)") }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let repository = try ModelRepository.load(.files(files), options: options, logger: logger)
        #expect(barrier.state.withLock { $0.peakInside } == 4)
        #expect(repository.names == (0..<6).map { "add_\($0)" })
    }
}
