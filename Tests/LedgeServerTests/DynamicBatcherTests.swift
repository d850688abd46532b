import Dispatch
import Foundation
import LedgeCore
import LedgeEngine
@testable import LedgeServing
import LedgeServingTesting
import LedgeTesting
import Logging
import LedgeVision
import Testing

/// Dynamic batching on real models: outputs bit for bit those of single runs,
/// batch sizes as the policy says (asserted on the sizes recorded, not on time).
@Suite(.ownThread) struct DynamicBatcherTests {
    static let hour = Duration.seconds(3600)

    func batcher(_ model: String, policy: BatchingPolicy, queueLimit: Int = 64) throws -> DynamicBatcher {
        let session = try ModelLoader.open(path: Fixtures.model(model), logger: TestServer.logger)
        return batcher(session, policy: policy, queueLimit: queueLimit)
    }

    func batcher(_ session: any InferenceSession, policy: BatchingPolicy, queueLimit: Int = 64) -> DynamicBatcher {
        let pool = SessionPool(modelName: "m", instances: [ModelInstance(session: session, index: 0)], queueLimit: queueLimit)
        return DynamicBatcher(modelName: "m", pool: pool, policy: policy, queueLimit: queueLimit, logger: TestServer.logger)
    }

    /// Inputs of the Add model: `a` = k, k+1, … (`rows` rows), `b` = 0.5 …; sum = a + b.
    static func add(_ k: Int, rows: Int = 1) -> [Tensor] {
        let a = (0..<(rows * 4)).map { Float(k * 100 + $0) }
        let b = (0..<(rows * 4)).map { Float($0) + 0.5 }
        return [Tensor(dtype: .float32, shape: [rows, 4], values: a), Tensor(dtype: .float32, shape: [rows, 4], values: b)]
    }

    static func expectSum(_ result: BatchedExecution, _ k: Int, rows: Int = 1) {
        let inputs = add(k, rows: rows)
        #expect(result.outputs.map(\.shape) == [[rows, 4]])
        #expect(result.outputs.first?.values(as: Float.self) == zip(inputs[0].values(as: Float.self), inputs[1].values(as: Float.self)).map(+))
    }

    /// The sizes of the batches `results` ran in, each batch once, smallest first.
    static func batchSizes(_ results: [BatchedExecution]) -> [Int] {
        results.filter(\.countsExecution).map(\.batchSize).sorted()
    }

    /// `body(0)` … `body(count - 1)` at once, results in that order.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for index in 0..<count { group.addTask { (index, try await body(index)) } }
            var results = [T?](repeating: nil, count: count)
            for try await (index, value) in group { results[index] = value }
            return results.map { $0! }
        }
    }

    static func bits(_ tensor: Tensor) -> [UInt32] { tensor.values(as: Float.self).map(\.bitPattern) }

    static let photos = ["astronaut", "chelsea", "coffee", "rocket"].flatMap { subject in
        ["\(subject).jpg", "\(subject).png", "\(subject)_224.jpg", "\(subject)_640x480.jpg"]
    }

    @Test func sixteenClientsGetBitForBitTheirUnbatchedOutputs() async throws {
        let session = try ModelLoader.open(path: Fixtures.model("mobilenet_gen.onnx"), logger: TestServer.logger)
        let preprocessor = try ImagePreprocessor(spec: session.info.inputs[0])
        let inputs = try Self.photos.map { try preprocessor.decodeAndPrepare(paths: [Fixtures.image($0)]) }
        #expect(Set(inputs.map(Self.bits)).count == 16)
        let expected = try inputs.map { Self.bits(try session.run([$0])[0]) }
        let batcher = try self.batcher("mobilenet_gen.onnx", policy: BatchingPolicy(maxBatchSize: 8, maxQueueDelay: Self.hour))
        let results = try await Self.concurrently(16) { try await batcher.infer([inputs[$0]]) }
        for (result, want) in zip(results, expected) {
            #expect(result.outputs.map(\.shape) == [[1, 1000]])
            #expect(result.outputs.first.map(Self.bits) == want)
        }
        #expect(Self.batchSizes(results) == [8, 8])
        #expect(results.allSatisfy { $0.batchSize == 8 })
    }

    @Test func batchesFormWhileTheInstanceIsBusyAndCloseAtTheMaxBatchSize() async throws {
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 4))
        let release = DispatchSemaphore(value: 0)
        let holder = await batcher.pool.occupy(until: release)
        let first = Task { try await batcher.infer(Self.add(0)) }
        while batcher.pool.waiting < 1 { await Task.yield() }  // its batch of one waits for the instance
        let rest = Task { try await Self.concurrently(10) { try await batcher.infer(Self.add($0 + 1)) } }
        while batcher.waiting < 10 { await Task.yield() }
        release.signal()
        _ = try await holder.value
        let results = [try await first.value] + (try await rest.value)
        for (k, result) in results.enumerated() { Self.expectSum(result, k) }
        #expect(Self.batchSizes(results) == [1, 2, 4, 4])
    }

    @Test func aLoneRequestGoesAfterTheQueueDelay() async throws {
        let delay = Duration.milliseconds(20)
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 8, preferredBatchSizes: [4], maxQueueDelay: delay))
        let result = try await batcher.infer(Self.add(3))
        Self.expectSum(result, 3)
        #expect(result.batchSize == 1)
        #expect(result.countsExecution)
        #expect(result.queued >= delay)
        // With no delay an idle model runs a request at once.
        let idle = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 8, preferredBatchSizes: [4]))
        let alone = try await idle.infer(Self.add(5))
        Self.expectSum(alone, 5)
        #expect(alone.batchSize == 1)
    }

    @Test func preferredSizesGoAtOnceAndShapesAreNotMixed() async throws {
        let session = try ModelLoader.open(path: Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"), logger: TestServer.logger)
        let reference = try Fixtures.referenceCase("ppocr_b4").inputs[0]
        let wide = try reference.splitting(counts: [1, 1, 1, 1])
        // The same rows cut to 160 columns: a shape the model takes, which must not share their batch.
        let narrow = wide.map { row in
            let values = row.values(as: Float.self)
            let cut: [Float] = (0..<(3 * 48)).flatMap { line in Array(values[(line * 192)..<(line * 192 + 160)]) }
            return Tensor(dtype: .float32, shape: [1, 3, 48, 160], values: cut)
        }
        let inputs: [Tensor] = (0..<8).map { index in index % 2 == 0 ? wide[index / 2] : narrow[index / 2] }
        let expected = try inputs.map { Self.bits(try session.run([$0])[0]) }
        let batcher = self.batcher(session, policy: BatchingPolicy(maxBatchSize: 8, preferredBatchSizes: [4], maxQueueDelay: Self.hour))
        let results = try await Self.concurrently(8) { try await batcher.infer([inputs[$0]]) }
        #expect(results.map { $0.outputs.first.map(Self.bits) } == expected)
        #expect(results.allSatisfy { $0.batchSize == 4 })
        #expect(Self.batchSizes(results) == [4, 4])
    }

    @Test func aCancelledRequestLeavesTheQueueAndTheBatch() async throws {
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 4, maxQueueDelay: Self.hour))
        let one = Task { try await batcher.infer(Self.add(1)) }
        while batcher.waiting < 1 { await Task.yield() }
        let two = Task { try await batcher.infer(Self.add(2)) }
        while batcher.waiting < 2 { await Task.yield() }
        let three = Task { try await batcher.infer(Self.add(3)) }
        while batcher.waiting < 3 { await Task.yield() }
        two.cancel()
        await #expect(throws: CancellationError.self) { try await two.value }
        #expect(batcher.waiting == 2)
        let more = try await Self.concurrently(2) { try await batcher.infer(Self.add($0 + 4)) }
        let results = [try await one.value, try await three.value] + more
        for (k, result) in zip([1, 3, 4, 5], results) { Self.expectSum(result, k) }
        #expect(results.allSatisfy { $0.batchSize == 4 })
        #expect(Self.batchSizes(results) == [4])
    }

    /// A request still queued when its timeout passes is refused and leaves the queue; the others batch as before.
    @Test func aRequestWhoseQueueTimeoutPassesLeavesTheQueue() async throws {
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 4, maxQueueDelay: Self.hour))
        let one = Task { try await batcher.infer(Self.add(1)) }
        while batcher.waiting < 1 { await Task.yield() }
        let late = Task { try await batcher.infer(Self.add(2), deadline: QueueDeadline(microseconds: 2_000)) }
        let error = await #expect(throws: LedgeError.self) { try await late.value }
        #expect(error?.code == .busy)
        #expect(error?.message == "model 'm' is busy: no instance was free within the request's timeout (2000 µs)")
        #expect(batcher.waiting == 1)
        // A deadline already passed is refused at once; a far one does not stop the request.
        await #expect(throws: LedgeError.self) {
            try await batcher.infer(Self.add(3), deadline: QueueDeadline(microseconds: 1, from: .now - .seconds(1)))
        }
        let more = try await Self.concurrently(3) { k in
            try await batcher.infer(Self.add(k + 4), deadline: k == 0 ? QueueDeadline(microseconds: 60_000_000) : nil)
        }
        let results = [try await one.value] + more
        for (k, result) in zip([1, 4, 5, 6], results) { Self.expectSum(result, k) }
        #expect(Self.batchSizes(results) == [4])
    }

    @Test func aFullQueueWithTheInstanceBusyIsRefusedAsBusy() async throws {
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 8), queueLimit: 2)
        let release = DispatchSemaphore(value: 0)
        let holder = await batcher.pool.occupy(until: release)
        let first = Task { try await batcher.infer(Self.add(0)) }
        while batcher.pool.waiting < 1 { await Task.yield() }
        let queued = Task { try await Self.concurrently(2) { try await batcher.infer(Self.add($0 + 1)) } }
        while batcher.waiting < 2 { await Task.yield() }
        await #expect(throws: LedgeError.busy(model: "m", waiting: 2, limit: 2)) { try await batcher.infer(Self.add(9)) }
        release.signal()
        _ = try await holder.value
        let results = [try await first.value] + (try await queued.value)
        for (k, result) in results.enumerated() { Self.expectSum(result, k) }
        #expect(Self.batchSizes(results) == [1, 2])
    }

    /// Triton's priority levels: with the instance held and a first request waiting for it,
    /// requests at levels 2, 2, 1, 2, 1 arrive one by one; once it is free the two of level 1 run
    /// together first, then level 2's oldest two, then the last. A level whose own queue policy
    /// sets max_queue_size is full alone.
    @Test func higherPriorityRequestsAreBatchedFirst() async throws {
        let session = try ModelLoader.open(path: Fixtures.model("add.onnx"), logger: TestServer.logger)
        let pool = SessionPool(modelName: "m", instances: [ModelInstance(session: session, index: 0)], queueLimit: 64)
        let batcher = DynamicBatcher(
            modelName: "m", pool: pool, policy: BatchingPolicy(maxBatchSize: 2), queueLimit: 64, levelLimits: [1: 2], logger: TestServer.logger)
        let release = DispatchSemaphore(value: 0)
        let holder = await pool.occupy(until: release)
        let first = Task { try await batcher.infer(Self.add(9)) }
        while pool.waiting < 1 { await Task.yield() }
        var tasks: [Task<BatchedExecution, any Error>] = []
        for (k, level) in [2, 2, 1, 2, 1].enumerated() {
            tasks.append(Task { try await batcher.infer(Self.add(k), level: level) })
            while batcher.waiting < k + 1 { await Task.yield() }
        }
        await #expect(
            throws: LedgeError(.busy, "model 'm' is busy: 2 requests of priority 1 waiting (its queue policy's max_queue_size 2)")
        ) { try await batcher.infer(Self.add(9), level: 1) }
        release.signal()
        _ = try await holder.value
        Self.expectSum(try await first.value, 9)
        var results: [BatchedExecution] = []
        for task in tasks { results.append(try await task.value) }
        for (k, result) in results.enumerated() { Self.expectSum(result, k) }
        // Batches {2, 4} (level 1), {0, 1}, {3}: the first request of each counts its execution.
        #expect(results.map(\.batchSize) == [2, 2, 2, 1, 2])
        #expect(results.map(\.countsExecution) == [true, false, true, true, false])
    }

    /// Triton's `timeout_action: DELAY`: a request whose timeout has passed is not refused but
    /// served after the others (A's deadline passed on arrival: {B, C} run first, then {A}).
    @Test func aDelayedRequestIsServedAfterTheOthers() async throws {
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 2))
        let release = DispatchSemaphore(value: 0)
        let holder = await batcher.pool.occupy(until: release)
        let first = Task { try await batcher.infer(Self.add(9)) }
        while batcher.pool.waiting < 1 { await Task.yield() }
        let passed = QueueDeadline(microseconds: 1, from: .now - .seconds(1), delays: true)
        let a = Task { try await batcher.infer(Self.add(0), deadline: passed) }
        while batcher.waiting < 1 { await Task.yield() }
        let others = Task { try await Self.concurrently(2) { try await batcher.infer(Self.add($0 + 1)) } }
        while batcher.waiting < 3 { await Task.yield() }
        release.signal()
        _ = try await holder.value
        Self.expectSum(try await first.value, 9)
        let results = [try await a.value] + (try await others.value)
        for (k, result) in results.enumerated() { Self.expectSum(result, k) }
        #expect(results.map(\.batchSize) == [1, 2, 2])
    }

    @Test func requestsOfTheMaxBatchSizeOrMoreRunAlone() async throws {
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 4, maxQueueDelay: Self.hour))
        for rows in [6, 4] {
            let result = try await batcher.infer(Self.add(7, rows: rows))
            Self.expectSum(result, 7, rows: rows)
            #expect(result.batchSize == rows)
        }
    }

    @Test func inputsTheModelRefusesAreRefusedBeforeTheyJoinABatch() async throws {
        let batcher = try self.batcher("add.onnx", policy: BatchingPolicy(maxBatchSize: 4, maxQueueDelay: Self.hour))
        await #expect(throws: LedgeError.invalidInput("input 'a': expected shape [-1, 4], got [1, 5]")) {
            try await batcher.infer([Tensor(dtype: .float32, shape: [1, 5]), Tensor(dtype: .float32, shape: [1, 5])])
        }
        #expect(batcher.waiting == 0)
    }
}
