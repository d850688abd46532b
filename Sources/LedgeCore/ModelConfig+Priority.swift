/// Triton's priority scheduling, from `dynamic_batching { priority_levels: N
/// default_priority_level: D priority_queue_policy { key: L value { … } } }`: a request's
/// `priority` parameter puts it at a level, 1 the highest; batches are formed from the highest
/// level's requests first (oldest first within a level), and each level may have a queue policy
/// of its own (timeout, queue size) in place of `default_queue_policy`.
public struct PriorityLevelsConfig: Sendable, Hashable {
    /// `priority_levels`: the levels, 1 (highest) to this.
    public var levels: Int
    /// `default_priority_level`: the level of a request without a priority.
    public var defaultLevel: Int
    /// `priority_queue_policy`: the queue policy of a level, by level.
    public var queuePolicies: [Int: QueuePolicyConfig]

    public init(levels: Int, defaultLevel: Int, queuePolicies: [Int: QueuePolicyConfig] = [:]) {
        self.levels = levels
        self.defaultLevel = defaultLevel
        self.queuePolicies = queuePolicies
    }

    /// The level a request's `priority` parameter puts it at: that level, or the default for
    /// none, 0 or one past the levels (as Triton's).
    public func level(priority: Int?) -> Int {
        guard let priority, (1...levels).contains(priority) else { return defaultLevel }
        return priority
    }

    /// The queue policy of requests at `level`: its own, else the batching's default one.
    public func queuePolicy(level: Int, default policy: QueuePolicyConfig?) -> QueuePolicyConfig? {
        queuePolicies[level] ?? policy
    }
}

extension ModelConfigDecoder {
    /// The most priority levels taken.
    static let priorityLevelsRange = 0...1024

    /// `priority_levels`, `default_priority_level` and `priority_queue_policy` of `message` (a
    /// `dynamic_batching`); `nil` without levels.
    func priorityLevels(_ message: Message) throws -> PriorityLevelsConfig? {
        let range = Self.priorityLevelsRange
        let levelsField = try reader.scalar(message, "priority_levels", expected: "an integer")
        let levels = try levelsField.map { try reader.integer($0, in: range, expected: "an integer from 0 to \(range.upperBound)") } ?? 0
        let defaultField = try reader.scalar(message, "default_priority_level", expected: "an integer")
        let policies = try reader.messages(message, "priority_queue_policy")
        guard levels > 0 else {
            if let defaultField, try reader.integer(defaultField, in: 0...Int.max, expected: "0") != 0 {
                throw reader.error("\(defaultField.path) needs priority_levels: expected priority_levels of 1 or more", at: defaultField.position)
            }
            if let first = policies.first {
                throw reader.error(
                    "\(message.path("priority_queue_policy")) needs priority_levels: expected priority_levels of 1 or more", at: first.position)
            }
            return nil
        }
        guard let defaultField else {
            throw reader.missing(message, "default_priority_level", expected: "the level of requests without a priority, 1 to \(levels)")
        }
        let defaultLevel = try reader.integer(defaultField, in: 1...levels, expected: "a level from 1 to \(levels) (priority_levels)")
        var queuePolicies: [Int: QueuePolicyConfig] = [:]
        for entry in policies {
            try reader.check(entry, allowed: ["key", "value"])
            guard let keyField = try reader.scalar(entry, "key", expected: "an integer") else {
                throw reader.missing(entry, "key", expected: "a level from 1 to \(levels)")
            }
            let level = try reader.integer(keyField, in: 1...levels, expected: "a level from 1 to \(levels) (priority_levels)")
            guard queuePolicies[level] == nil else {
                throw reader.error("\(keyField.path) \(level) is given twice: expected each level once", at: keyField.position)
            }
            guard let value = try reader.message(entry, "value") else {
                throw reader.missing(entry, "value", expected: "the level's queue policy { default_timeout_microseconds … }")
            }
            queuePolicies[level] = try queuePolicy(value)
        }
        return PriorityLevelsConfig(levels: levels, defaultLevel: defaultLevel, queuePolicies: queuePolicies)
    }
}
