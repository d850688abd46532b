/// The nested sections of a config: batching, instance groups, version policy, parameters.
extension ModelConfigDecoder {
    /// The largest `max_queue_delay_microseconds` taken: 60 s.
    static let maxQueueDelayRange = 0...60_000_000
    /// The largest instance count of one group.
    static let instanceCountRange = 1...256

    func dynamicBatching(_ message: Message) throws -> DynamicBatchingConfig {
        try reader.check(message, allowed: ["preferred_batch_size", "max_queue_delay_microseconds"], repeated: ["preferred_batch_size"])
        let sizes = try reader.scalars(message, "preferred_batch_size").map {
            try reader.integer($0, in: 1...Self.maxBatchSizeRange.upperBound, expected: "a positive integer")
        }
        let delay = try reader.scalar(message, "max_queue_delay_microseconds", expected: "an integer").map {
            try reader.integer($0, in: Self.maxQueueDelayRange, expected: "an integer from 0 to 60000000 (60 s)")
        }
        return DynamicBatchingConfig(preferredBatchSizes: sizes, maxQueueDelayMicroseconds: delay ?? 0)
    }

    func instanceGroup(_ message: Message) throws -> InstanceGroupConfig {
        try reader.check(message, allowed: ["count", "kind"])
        let range = Self.instanceCountRange
        let count = try reader.scalar(message, "count", expected: "an integer").map {
            try reader.integer($0, in: range, expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        if let field = try reader.scalar(message, "kind", expected: "KIND_CPU") {
            let kind = try reader.identifier(field, expected: "KIND_CPU")
            guard kind == "KIND_CPU" || kind == "KIND_AUTO" else {
                throw reader.error(
                    "\(field.path) \(kind) is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)",
                    at: field.position)
            }
        }
        return InstanceGroupConfig(count: count ?? 1, kind: "KIND_CPU")
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
            let key = try reader.string(keyField)
            guard ModelConfig.parameterKeys.contains(key) else {
                throw reader.error(
                    "parameters key '\(TextProto.printable(key))' is not supported by ledge: expected \(ModelConfig.parameterKeys.joined(separator: " or "))",
                    at: keyField.position)
            }
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
            if key == "threads", Int(value).map(ModelConfig.threadsRange.contains) != true {
                let range = ModelConfig.threadsRange
                throw reader.error(
                    "parameters 'threads': \"\(TextProto.printable(value))\" is not a thread count: expected an integer from \(range.lowerBound) to \(range.upperBound)",
                    at: valueField.position)
            }
            result[key] = value
        }
        return result
    }
}
