import LedgeCore
@testable import LedgeServing
import Testing

/// The batch-closing rule alone, on a fake clock: which requests go together and when.
@Suite struct BatchQueueTests {
    let start = ContinuousClock.now
    let image = BatchKey(dtypes: [.float32], trailing: [[3, 224, 224]])
    let small = BatchKey(dtypes: [.float32], trailing: [[3, 112, 112]])

    /// A queue of requests `(key, items, ms after start)`, tickets 1, 2, … in order.
    func queue(_ requests: [(BatchKey?, Int, Int)]) -> BatchQueue<Int> {
        var queue = BatchQueue<Int>()
        for (index, (key, items, ms)) in requests.enumerated() {
            queue.append(.init(ticket: UInt64(index + 1), key: key, items: items, enqueued: start + .milliseconds(ms), payload: index + 1))
        }
        return queue
    }

    /// A queue of requests `(items, ms after start, priority level)` of one shape, tickets 1, 2, … in arrival order.
    func queue(levels requests: [(Int, Int, Int)]) -> BatchQueue<Int> {
        var queue = BatchQueue<Int>()
        for (index, (items, ms, level)) in requests.enumerated() {
            queue.append(
                .init(ticket: UInt64(index + 1), key: image, items: items, enqueued: start + .milliseconds(ms), payload: index + 1, level: level))
        }
        return queue
    }

    func policy(max: Int, preferred: [Int] = [], delayMs: Int = 3_600_000) -> BatchingPolicy {
        BatchingPolicy(maxBatchSize: max, preferredBatchSizes: preferred, maxQueueDelay: .milliseconds(delayMs))
    }

    /// The tickets of the next batch, or the wake-up in ms after start when none is ready.
    func next(_ queue: inout BatchQueue<Int>, _ policy: BatchingPolicy, atMs ms: Int = 0) -> String {
        switch queue.next(policy: policy, now: start + .milliseconds(ms)) {
        case .send(let batch)?: return "send \(batch.map(\.payload))"
        case .wait(let until)?: return "wait \(Int(((until - start) / .milliseconds(1)).rounded()))"
        case nil: return "empty"
        }
    }

    /// Triton's priority levels: level 1's requests are batched before level 2's whatever their
    /// age, oldest first within a level, and a batch fills from the next level down.
    @Test func higherPriorityLevelsAreBatchedFirst() {
        var queue = queue(levels: [(1, 0, 2), (1, 1, 2), (1, 2, 1), (1, 3, 3), (1, 4, 1), (1, 5, 2)])
        #expect(queue.entries.map(\.payload) == [3, 5, 1, 2, 6, 4])
        #expect(queue.count(level: 2) == 3 && queue.count(level: 1) == 2 && queue.count(level: 4) == 0)
        let policy = policy(max: 3)
        #expect(next(&queue, policy) == "send [3, 5, 1]")
        #expect(next(&queue, policy) == "send [2, 6, 4]")
        #expect(next(&queue, policy) == "empty")
    }

    /// A request whose timeout passed under a DELAY policy goes behind the others of its level,
    /// ahead of the next level's; one delayed on arrival too.
    @Test func delayedRequestsGoAfterTheirLevel() {
        var queue = queue(levels: [(1, 0, 1), (1, 1, 1), (1, 2, 2), (1, 3, 1)])
        let moved = queue.delay(ticket: 1)
        #expect(moved && queue.entries.map(\.payload) == [2, 4, 1, 3])
        queue.append(.init(ticket: 5, key: image, items: 1, enqueued: start, payload: 5, level: 1, delayed: true))
        queue.append(.init(ticket: 6, key: image, items: 1, enqueued: start, payload: 6, level: 1))
        #expect(queue.entries.map(\.payload) == [2, 4, 6, 1, 5, 3])
        let gone = queue.delay(ticket: 9)
        #expect(!gone)
    }

    /// The queue delay counts from a batch's oldest request, which with priorities need not be its first.
    @Test func theDelayCountsFromTheOldestRequestOfABatch() {
        var queue = queue(levels: [(1, 0, 2), (1, 6, 1)])
        let policy = policy(max: 8, preferred: [8], delayMs: 10)
        #expect(next(&queue, policy, atMs: 7) == "wait 10")
        #expect(next(&queue, policy, atMs: 10) == "send [2, 1]")
    }

    @Test func aBatchClosesAtTheMaxBatchSize() {
        var queue = queue((0..<10).map { (image, 1, $0) })
        let policy = policy(max: 4)
        #expect(next(&queue, policy) == "send [1, 2, 3, 4]")
        #expect(next(&queue, policy) == "send [5, 6, 7, 8]")
        #expect(next(&queue, policy) == "wait 3600008")
        #expect(queue.count == 2)
    }

    @Test func aBatchClosesWhenTheNextRequestWouldNotFit() {
        var queue = queue([(image, 2, 0), (image, 2, 1), (image, 3, 2)])
        #expect(next(&queue, policy(max: 6)) == "send [1, 2]")
        #expect(next(&queue, policy(max: 6)) == "wait 3600002")
    }

    @Test func theLargestPreferredSizeGoesAtOnce() {
        var queue = queue((0..<7).map { (image, 1, $0) })
        let policy = policy(max: 8, preferred: [2, 4])
        #expect(next(&queue, policy) == "send [1, 2, 3, 4]")
        #expect(next(&queue, policy) == "send [5, 6]")
        #expect(next(&queue, policy) == "wait 3600006")
    }

    @Test func withNothingPreferredTheOldestWaitsTheDelayThenAllGo() {
        var queue = queue([(image, 1, 0), (image, 2, 3), (image, 1, 12)])
        let policy = policy(max: 8, preferred: [8], delayMs: 10)
        #expect(next(&queue, policy, atMs: 5) == "wait 10")
        #expect(next(&queue, policy, atMs: 10) == "send [1, 2, 3]")
        #expect(next(&queue, policy, atMs: 10) == "empty")
    }

    @Test func noDelaySendsWhatIsQueuedAtOnce() {
        var queue = queue([(image, 1, 0), (image, 1, 0)])
        #expect(next(&queue, policy(max: 8, delayMs: 0)) == "send [1, 2]")
    }

    @Test func differentShapesGoInDifferentBatchesOldestGroupFirst() {
        var queue = queue([(image, 1, 0), (small, 1, 1), (image, 1, 2), (small, 1, 3), (small, 1, 4)])
        let policy = policy(max: 2)
        #expect(next(&queue, policy) == "send [1, 3]")
        #expect(next(&queue, policy) == "send [2, 4]")
        #expect(next(&queue, policy) == "wait 3600004")
        // A group whose delay ran out goes before a younger one that is still waiting.
        var delayed = self.queue([(small, 1, 0), (image, 1, 5)])
        #expect(next(&delayed, self.policy(max: 4, delayMs: 10), atMs: 12) == "send [1]")
        #expect(next(&delayed, self.policy(max: 4, delayMs: 10), atMs: 12) == "wait 15")
    }

    @Test func aReadyGroupBehindAWaitingOneGoes() {
        var queue = queue([(small, 1, 0), (image, 1, 1), (image, 1, 2)])
        #expect(next(&queue, policy(max: 2)) == "send [2, 3]")
        #expect(next(&queue, policy(max: 2)) == "wait 3600000")
    }

    @Test func requestsOfMaxSizeOrLargerOrWithoutAKeyRunAlone() {
        var queue = queue([(image, 1, 0), (image, 9, 1), (image, 1, 2), (nil, 1, 3), (image, 8, 4)])
        let policy = policy(max: 8)
        #expect(next(&queue, policy) == "send [2]")
        #expect(next(&queue, policy) == "send [4]")
        #expect(next(&queue, policy) == "send [5]")
        #expect(next(&queue, policy) == "wait 3600000")
        #expect(queue.count == 2)
    }

    @Test func removedAndUnbatchedRequests() {
        var queue = queue([(image, 1, 0), (image, 1, 1), (image, 1, 2)])
        #expect(queue.remove(ticket: 2)?.payload == 2)
        #expect(queue.remove(ticket: 2) == nil)
        queue.runAlone()
        #expect(next(&queue, policy(max: 8)) == "send [1]")
        #expect(next(&queue, policy(max: 8)) == "send [3]")
        #expect(next(&queue, policy(max: 8)) == "empty")
    }

    @Test func keysAreDtypesAndTrailingDimensionsWithOneItemCount() throws {
        let a = Tensor(dtype: .float32, shape: [2, 4])
        let b = Tensor(dtype: .int64, shape: [2])
        let keyed = try #require(BatchKey.of([a, b]))
        #expect(keyed.key == BatchKey(dtypes: [.float32, .int64], trailing: [[4], []]))
        #expect(keyed.items == 2)
        #expect(BatchKey.of([a, Tensor(dtype: .int64, shape: [3])]) == nil)
        #expect(BatchKey.of([Tensor(dtype: .float32, shape: [])]) == nil)
        #expect(BatchKey.of([]) == nil)
    }
}
