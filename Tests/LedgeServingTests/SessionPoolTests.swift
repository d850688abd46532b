import Dispatch
import Foundation
import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeServingTesting
import LedgeTesting
import Logging
import Synchronization
import Testing

/// Which instances are in use, and how often one was borrowed twice at once.
final class Tracker: Sendable {
    let inUse = Mutex<Set<ObjectIdentifier>>([])
    let overlaps = Atomic<Int>(0)
}

@Suite(.ownThread) struct SessionPoolTests {
    func pool(instances: Int, queueLimit: Int) throws -> SessionPool {
        let made = try (0..<instances).map { index in
            ModelInstance(session: try ModelLoader.open(path: Fixtures.model("add.onnx"), logger: Logger(label: "test")), index: index)
        }
        return SessionPool(modelName: "add", instances: made, queueLimit: queueLimit)
    }

    @Test func fullQueueIsRefusedWith503() async throws {
        let pool = try pool(instances: 1, queueLimit: 1)
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        let waiter = Task { try await pool.run { _ in 2 } }
        while pool.waiting < 1 { await Task.yield() }
        await #expect(throws: LedgeError.busy(model: "add", waiting: 1, limit: 1)) {
            try await pool.run { _ in 3 }
        }
        #expect(LedgeError.busy(model: "add", waiting: 1, limit: 1).message == "model 'add' is busy: 1 requests waiting (queue limit 1)")
        #expect(LedgeError.busy(model: "add", waiting: 1, limit: 1).code == .busy)
        release.signal()
        #expect(try await holder.value == 1)
        #expect(try await waiter.value == 2)
        #expect(try await pool.run { _ in 4 } == 4)
    }

    /// After ``SessionPool/interrupt(reason:)`` the request waiting for an instance and every later
    /// one fail with the reason (on LiteRT's efficientnet_lite0, whose session cannot stop a run:
    /// the pool refuses for every backend). The caller of the run under way gets the reason at once,
    /// while the run goes on to its end (here held by the semaphore), which gives the instance back:
    /// a gRPC client whose run outlasted the exit timeout saw its connection closed first.
    @Test func runsAfterAnInterruptionFail() async throws {
        let session = try ModelLoader.open(path: Fixtures.model("efficientnet_lite0.tflite"), logger: Logger(label: "test"))
        let pool = SessionPool(modelName: "effnet", instances: [ModelInstance(session: session, index: 0)], queueLimit: 4)
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        let waiter = Task { try await pool.run { _ in 2 } }
        while pool.waiting < 1 { await Task.yield() }
        #expect(pool.interrupt(reason: "the server is shutting down") == 1)
        await #expect(throws: LedgeError(.busy, "the server is shutting down")) { try await waiter.value }
        await #expect(throws: LedgeError(.busy, "the server is shutting down")) { try await holder.value }
        #expect(pool.counters.running == 1)  // the run still holds its instance
        release.signal()
        while pool.counters.running > 0 { await Task.yield() }
        await #expect(throws: LedgeError(.busy, "the server is shutting down")) {
            try await pool.run { instance in try instance.session.run([Tensor(dtype: .uint8, shape: [1, 224, 224, 3])]).count }
        }
    }

    @Test func cancelledWaiterLeavesTheQueueAtOnce() async throws {
        let pool = try pool(instances: 1, queueLimit: 1)
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        let waiter = Task { try await pool.run { _ in 2 } }
        while pool.waiting < 1 { await Task.yield() }
        waiter.cancel()
        // The cancelled request is gone while the instance is still held: the queue has room again.
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(pool.waiting == 0)
        let next = Task { try await pool.run { _ in 3 } }
        while pool.waiting < 1 { await Task.yield() }
        release.signal()
        #expect(try await holder.value == 1)
        #expect(try await next.value == 3)
    }

    /// A waiter whose queue timeout passes leaves the queue with a busy error; one behind it is served.
    @Test func queueTimeoutRefusesAWaiter() async throws {
        let pool = try pool(instances: 1, queueLimit: 2)
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        let patient = Task { try await pool.run(deadline: QueueDeadline(microseconds: 60_000_000)) { _ in 2 } }
        while pool.waiting < 1 { await Task.yield() }
        let error = await #expect(throws: LedgeError.self) {
            try await pool.run(deadline: QueueDeadline(microseconds: 5_000)) { _ in 3 }
        }
        #expect(error?.code == .busy && error?.message == "model 'add' is busy: no instance was free within the request's timeout (5000 µs)")
        #expect(pool.waiting == 1)
        release.signal()
        #expect(try await holder.value == 1)
        #expect(try await patient.value == 2)
        // With an instance free, a deadline already passed does not matter: the request runs at once.
        #expect(try await pool.run(deadline: QueueDeadline(microseconds: 1, from: .now - .seconds(1))) { _ in 4 } == 4)
    }

    @Test func noQueueMeansImmediate503() async throws {
        let pool = try pool(instances: 1, queueLimit: 0)
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        await #expect(throws: LedgeError.busy(model: "add", waiting: 0, limit: 0)) {
            try await pool.run { _ in 0 }
        }
        release.signal()
        _ = try await holder.value
    }

    @Test func anInstanceIsNeverSharedAndRunsGiveTheRightSums() async throws {
        let pool = try pool(instances: 2, queueLimit: 64)
        let tracker = Tracker()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in 0..<16 {
                group.addTask {
                    let sum = try await pool.run { instance -> [Float] in
                        let id = ObjectIdentifier(instance)
                        if !tracker.inUse.withLock({ $0.insert(id).inserted }) { tracker.overlaps.add(1, ordering: .relaxed) }
                        defer { _ = tracker.inUse.withLock { $0.remove(id) } }
                        let a = Tensor(dtype: .float32, shape: [1, 4], values: [Float](repeating: Float(request), count: 4))
                        let b = Tensor(dtype: .float32, shape: [1, 4], values: [Float](repeating: 1, count: 4))
                        return try instance.session.run([a, b])[0].values(as: Float.self)
                    }
                    #expect(sum == [Float](repeating: Float(request) + 1, count: 4))
                }
            }
            try await group.waitForAll()
        }
        #expect(tracker.overlaps.load(ordering: .relaxed) == 0)
    }

    /// Threads of this process named `name`.
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }

    /// Waits (up to 10 s) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// A run that is not inline executes on the instance's own thread, and that thread
    /// ends with the instance (an unloaded model leaves no thread behind).
    @Test func runsExecuteOnTheInstancesThreadWhichEndsWithIt() async throws {
        let name = "ledge-inst-9417"
        var instance: ModelInstance? = ModelInstance(
            session: try ModelLoader.open(path: Fixtures.model("add.onnx"), logger: Logger(label: "test")), index: 9417)
        #expect(await Self.eventually { Self.threads(named: name) == 1 })
        var pool: SessionPool? = SessionPool(modelName: "add", instances: [instance!], queueLimit: 1)
        let ranOn = try await pool!.run { _ in
            try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(ranOn == name)
        pool = nil
        instance = nil
        #expect(await Self.eventually { Self.threads(named: name) == 0 })
    }
}
