/// The requests waiting in a dynamic batcher, by priority level (1 first; all
/// at level 0 without priorities) and oldest first within a level, and the rule
/// that picks the next batch (a value: the batcher keeps it under its lock).
///
/// The rule, Triton's: requests are grouped by ``BatchKey`` (only requests
/// with the same dtypes and trailing dimensions share a batch), each group
/// taken in queue order. A group is sent when it reaches the max batch size (or
/// its next request would not fit), else as the largest preferred size it can
/// form from its first requests, else once its oldest request has waited the
/// max queue delay; otherwise it waits until then. A request with no key or
/// at least max batch size items is sent alone at once. Among groups ready to
/// go, the one with the first request in queue order goes first.
struct BatchQueue<Payload> {
    struct Entry {
        var ticket: UInt64
        /// `nil`: the request runs alone.
        var key: BatchKey?
        /// The request's first dimension.
        var items: Int
        var enqueued: ContinuousClock.Instant
        var payload: Payload
        /// The request's priority level: lower levels go first.
        var level = 0
        /// Its queue timeout passed under a DELAY policy: it goes after its level's others.
        var delayed = false

        /// Where it stands in the queue: by level, the delayed after the others of theirs.
        var rank: (Int, Int) { (level, delayed ? 1 : 0) }
    }

    enum Decision {
        /// These requests (removed from the queue) form the next batch, oldest first.
        case send([Entry])
        /// No batch is ready; one may be at this instant, when a request's delay runs out.
        case wait(until: ContinuousClock.Instant)
    }

    /// Waiting requests, by level then oldest first (at most the queue limit: a plain array).
    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    /// How many requests wait at `level`.
    func count(level: Int) -> Int { entries.reduce(0) { $0 + ($1.level == level ? 1 : 0) } }

    /// Queues `entry` behind every request of its level and the levels before it (and, when it
    /// is not delayed, ahead of its level's delayed ones).
    mutating func append(_ entry: Entry) {
        if let behind = entries.lastIndex(where: { !(entry.rank < $0.rank) }) {
            entries.insert(entry, at: behind + 1)
        } else {
            entries.insert(entry, at: 0)
        }
    }

    /// Takes out the request with `ticket` (cancelled), `nil` when it is no longer waiting.
    mutating func remove(ticket: UInt64) -> Entry? {
        guard let index = entries.firstIndex(where: { $0.ticket == ticket }) else { return nil }
        return entries.remove(at: index)
    }

    /// Moves the request with `ticket` behind the others of its level (its timeout passed under a
    /// DELAY policy); `false` when it is no longer waiting.
    mutating func delay(ticket: UInt64) -> Bool {
        guard var entry = remove(ticket: ticket) else { return false }
        entry.delayed = true
        append(entry)
        return true
    }

    /// Makes every waiting request run alone (batching was turned off).
    mutating func runAlone() {
        for index in entries.indices { entries[index].key = nil }
    }

    /// The next batch under `policy` at `now` (taken out of the queue), when
    /// to look again when none is ready, `nil` when nothing waits.
    mutating func next(policy: BatchingPolicy, now: ContinuousClock.Instant) -> Decision? {
        var covered = Set<Int>()
        var earliest: ContinuousClock.Instant?
        for index in entries.indices where !covered.contains(index) {
            let (members, ready) = candidate(from: index, policy: policy, now: now)
            if ready {
                let batch = members.map { entries[$0] }
                for member in members.sorted(by: >) { entries.remove(at: member) }
                return .send(batch)
            }
            covered.formUnion(members)
            let deadline = oldest(members) + policy.maxQueueDelay
            earliest = min(earliest ?? deadline, deadline)
        }
        return earliest.map { .wait(until: $0) }
    }

    /// The batch the group of the request at `first` (its oldest) would send
    /// now, and whether it is ready to go.
    private func candidate(from first: Int, policy: BatchingPolicy, now: ContinuousClock.Instant) -> (members: [Int], ready: Bool) {
        let head = entries[first]
        let max = policy.maxBatchSize
        guard let key = head.key, head.items < max else { return ([first], true) }
        var members = [first]
        var total = head.items
        var preferred = policy.preferredBatchSizes.contains(total) ? 1 : 0
        for index in (first + 1)..<entries.count where entries[index].key == key && entries[index].items < max {
            if total + entries[index].items > max { return (members, true) }
            members.append(index)
            total += entries[index].items
            if total == max { return (members, true) }
            if policy.preferredBatchSizes.contains(total) { preferred = members.count }
        }
        if preferred > 0 { return (Array(members.prefix(preferred)), true) }
        return (members, now - oldest(members) >= policy.maxQueueDelay)
    }

    /// When the oldest of `members` arrived (with priorities, not always the first).
    private func oldest(_ members: [Int]) -> ContinuousClock.Instant {
        members.map { entries[$0].enqueued }.min() ?? entries[members[0]].enqueued
    }
}

extension BatchQueue.Entry: Sendable where Payload: Sendable {}
