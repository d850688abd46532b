/// The nested sections of a config: batching, instance groups, version policy, parameters.
extension ModelConfigDecoder {
    /// The largest `max_queue_delay_microseconds` taken: 60 s.
    static let maxQueueDelayRange = 0...60_000_000
    /// The largest instance count of one group.
    static let instanceCountRange = 1...256

    func dynamicBatching(_ message: Message) throws -> DynamicBatchingConfig {
        try reader.check(
            message,
            allowed: [
                "preferred_batch_size", "max_queue_delay_microseconds", "default_queue_policy", "priority_levels", "default_priority_level",
                "priority_queue_policy",
            ],
            repeated: ["preferred_batch_size", "priority_queue_policy"], unlisted: ["preserve_ordering"])
        // preserve_ordering holds either way: a stream's responses go in the order of its requests
        // (it is read one request at a time), and a unary call has one.
        _ = try reader.scalar(message, "preserve_ordering", expected: "true or false").map(reader.boolean)
        let sizes = try reader.scalars(message, "preferred_batch_size").map {
            try reader.integer($0, in: 1...Self.maxBatchSizeRange.upperBound, expected: "a positive integer")
        }
        let delay = try reader.scalar(message, "max_queue_delay_microseconds", expected: "an integer").map {
            try reader.integer($0, in: Self.maxQueueDelayRange, expected: "an integer from 0 to 60000000 (60 s)")
        }
        let policy = try reader.message(message, "default_queue_policy").map(queuePolicy)
        return DynamicBatchingConfig(
            preferredBatchSizes: sizes, maxQueueDelayMicroseconds: delay ?? 0, queuePolicy: policy, priorities: try priorityLevels(message))
    }

    /// The largest `default_timeout_microseconds` taken: 1 h.
    static let queueTimeoutRange = 0...3_600_000_000
    /// The largest `max_queue_size` taken.
    static let queueSizeRange = 0...65_536

    func queuePolicy(_ message: Message) throws -> QueuePolicyConfig {
        try reader.check(message, allowed: ["timeout_action", "default_timeout_microseconds", "allow_timeout_override", "max_queue_size"])
        var delays = false
        if let field = try reader.scalar(message, "timeout_action", expected: "REJECT or DELAY") {
            let action = try reader.enumValue(field, expected: "REJECT or DELAY", names: ["REJECT", "DELAY"])
            guard action == "REJECT" || action == "DELAY" else {
                throw reader.error(
                    "\(field.path) is \(action): expected REJECT (a request whose timeout passes while it waits is refused) or DELAY "
                        + "(it is served after the others)",
                    at: field.position)
            }
            delays = action == "DELAY"
        }
        let timeout = try reader.scalar(message, "default_timeout_microseconds", expected: "an integer").map {
            try reader.integer($0, in: Self.queueTimeoutRange, expected: "an integer from 0 to 3600000000 (1 h)")
        }
        let size = try reader.scalar(message, "max_queue_size", expected: "an integer").map {
            try reader.integer($0, in: Self.queueSizeRange, expected: "an integer from 0 to 65536")
        }
        let allow = try reader.scalar(message, "allow_timeout_override", expected: "true or false").map(reader.boolean) ?? false
        return QueuePolicyConfig(defaultTimeoutMicroseconds: timeout ?? 0, allowTimeoutOverride: allow, maxQueueSize: size ?? 0, delays: delays)
    }

    func instanceGroup(_ message: Message) throws -> InstanceGroupConfig {
        try reader.check(message, allowed: ["count", "kind"], repeated: Self.inertRepeatedFields, unlisted: ["name"] + Self.inertInstanceGroupFields)
        try checkInert(message, Self.inertInstanceGroupFields)
        _ = try reader.scalar(message, "name", expected: "a string in quotes").map(reader.string)  // a label only
        let range = Self.instanceCountRange
        let count = try reader.scalar(message, "count", expected: "an integer").map {
            try reader.integer($0, in: range, expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        if let field = try reader.scalar(message, "kind", expected: "KIND_CPU") {
            let kind = try reader.enumValue(field, expected: "KIND_CPU", names: ["KIND_AUTO", "KIND_GPU", "KIND_CPU", "KIND_MODEL"])
            guard kind == "KIND_CPU" || kind == "KIND_AUTO" else {
                throw reader.error(
                    "\(field.path) \(kind) is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)",
                    at: field.position)
            }
        }
        return InstanceGroupConfig(count: count ?? 1, kind: "KIND_CPU", countGiven: count != nil)
    }

    func versionPolicy(_ message: Message) throws -> VersionPolicy {
        let kinds = ["latest", "all", "specific"]
        try reader.check(message, allowed: kinds)
        let given = message.fields.fields.map(\.name)
        guard given.count == 1, let kind = given.first else {
            let found = given.isEmpty ? "none" : given.joined(separator: " and ")
            throw reader.error("\(message.path): expected one of latest, all or specific, found \(found)", at: message.position)
        }
        let policy = try reader.message(message, kind) ?? message
        switch kind {
        case "latest":
            try reader.check(policy, allowed: ["num_versions"])
            guard let field = try reader.scalar(policy, "num_versions", expected: "a positive integer") else {
                throw reader.missing(policy, "num_versions", expected: "a positive integer")
            }
            return .latest(try reader.integer(field, in: 1...Int(Int32.max), expected: "a positive integer"))
        case "all":
            try reader.check(policy, allowed: [])
            return .all
        default:
            try reader.check(policy, allowed: ["versions"], repeated: ["versions"])
            let versions = try reader.scalars(policy, "versions").map {
                try reader.integer($0, in: 1...Int.max, expected: "a positive integer")
            }
            guard !versions.isEmpty else { throw reader.missing(policy, "versions", expected: "at least one version") }
            return .specific(versions)
        }
    }

    func parameters(_ top: Message) throws -> [String: String] {
        var result: [String: String] = [:]
        for message in try reader.messages(top, "parameters") {
            try reader.check(message, allowed: ["key", "value"])
            guard let keyField = try reader.scalar(message, "key", expected: "a string in quotes") else {
                throw reader.missing(message, "key", expected: "key and value in each parameters")
            }
            // A key Ledge does not read is kept, as Triton passes its backends' settings on
            // (``ModelConfig/unreadParameterKeys(for:)``: the server names them in a warning at load).
            let key = try reader.string(keyField)
            guard !key.isEmpty else { throw reader.error("\(keyField.path): expected a non-empty string, found \"\"", at: keyField.position) }
            guard result[key] == nil else {
                throw reader.error("parameters key '\(key)' is given twice: expected it once", at: keyField.position)
            }
            guard let valueMessage = try reader.message(message, "value") else {
                throw reader.missing(message, "value", expected: "value { string_value: \"…\" }")
            }
            try reader.check(valueMessage, allowed: ["string_value"])
            guard let valueField = try reader.scalar(valueMessage, "string_value", expected: "a string in quotes") else {
                throw reader.missing(valueMessage, "string_value", expected: "a string in quotes")
            }
            let value = try reader.string(valueField)
            if let problem = ModelConfig.parameterProblem(key: key, value: value) {
                throw reader.error("parameters '\(key)': \"\(TextProto.printable(value))\" \(problem)", at: valueField.position)
            }
            if key == "threads" || key == "intra_op_thread_count" {
                if let other = ["threads", "intra_op_thread_count"].first(where: { $0 != key && result[$0] != nil }) {
                    throw reader.error("parameters '\(key)' and '\(other)' both give the thread count: expected one", at: keyField.position)
                }
            }
            result[key] = value
        }
        return result
    }
}
