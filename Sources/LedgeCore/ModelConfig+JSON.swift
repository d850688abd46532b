extension ModelConfig {
    /// Triton's JSON of `GET /v2/models/{m}/config`, keys sorted, on one line:
    /// `{"backend":…,"dynamic_batching":{…},"input":[{"data_type":"TYPE_FP32","dims":[…],"name":…}],
    /// "instance_group":[{"count":N,"kind":"KIND_CPU"}],"max_batch_size":N,"name":…,"output":[…],
    /// "parameters":{"threads":{"string_value":"2"}},"platform":…,"version_policy":{"latest":{"num_versions":1}}}`.
    /// A missing name, platform or backend is `""` (as Triton prints unset strings);
    /// `dynamic_batching`, `model_warmup` and `optimization` (its graph level) appear only when configured.
    public func json() -> String {
        var object: [String: JSONText] = [
            "name": .string(name ?? ""),
            "platform": .string(platform ?? ""),
            "backend": .string(backend ?? ""),
            "max_batch_size": .int(maxBatchSize),
            "input": .array(inputs.map(Self.json)),
            "output": .array(outputs.map(Self.json)),
            "instance_group": .array(
                instanceGroups.map { .object(["count": .int($0.count), "kind": .string($0.kind)]) }),
            "version_policy": .object(Self.json(versionPolicy)),
            "parameters": .object(parameters.mapValues { .object(["string_value": .string($0)]) }),
        ]
        if let batching = dynamicBatching {
            var section: [String: JSONText] = [
                "preferred_batch_size": .array(batching.preferredBatchSizes.map(JSONText.int)),
                "max_queue_delay_microseconds": .int(batching.maxQueueDelayMicroseconds),
            ]
            if let policy = batching.queuePolicy { section["default_queue_policy"] = Self.json(policy) }
            if let priorities = batching.priorities {
                section["priority_levels"] = .int(priorities.levels)
                section["default_priority_level"] = .int(priorities.defaultLevel)
                section["priority_queue_policy"] = .object(
                    Dictionary(uniqueKeysWithValues: priorities.queuePolicies.map { (String($0.key), Self.json($0.value)) }))
            }
            object["dynamic_batching"] = .object(section)
        }
        if !warmups.isEmpty { object["model_warmup"] = .array(warmups.map(Self.json)) }
        if let file = defaultModelFilename { object["default_model_filename"] = .string(file) }
        if let level = graphLevel { object["optimization"] = .object(["graph": .object(["level": .int(level)])]) }
        var out = ""
        JSONText.object(object).write(to: &out)
        return out
    }

    private static func json(_ policy: QueuePolicyConfig) -> JSONText {
        .object([
            "timeout_action": .string(policy.delays ? "DELAY" : "REJECT"), "default_timeout_microseconds": .int(policy.defaultTimeoutMicroseconds),
            "allow_timeout_override": .bool(policy.allowTimeoutOverride), "max_queue_size": .int(policy.maxQueueSize),
        ])
    }

    private static func json(_ tensor: TensorConfig) -> JSONText {
        var object: [String: JSONText] = [
            "name": .string(tensor.name), "data_type": .string(tensor.dtype.tritonName),
            "dims": .array(tensor.dims.map(JSONText.int)),
        ]
        if let file = tensor.labelFilename { object["label_filename"] = .string(file) }
        if let shape = tensor.reshape { object["reshape"] = .object(["shape": .array(shape.map(JSONText.int))]) }
        if let format = tensor.format { object["format"] = .string(format) }
        return .object(object)
    }

    private static func json(_ warmup: WarmupConfig) -> JSONText {
        var inputs: [String: JSONText] = [:]
        for input in warmup.inputs {
            var value: [String: JSONText] = ["data_type": .string(input.dtype.tritonName), "dims": .array(input.dims.map(JSONText.int))]
            switch input.data {
            case .zeros: value["zero_data"] = .bool(true)
            case .random: value["random_data"] = .bool(true)
            case .file(let file): value["input_data_file"] = .string(file)
            }
            inputs[input.name] = .object(value)
        }
        return .object([
            "name": .string(warmup.name), "batch_size": .int(warmup.batchSize), "count": .int(warmup.count), "inputs": .object(inputs),
        ])
    }

    private static func json(_ policy: VersionPolicy) -> [String: JSONText] {
        switch policy {
        case .latest(let count): return ["latest": .object(["num_versions": .int(count)])]
        case .all: return ["all": .object([:])]
        case .specific(let versions): return ["specific": .object(["versions": .array(versions.map(JSONText.int))])]
        }
    }
}

/// A JSON value written with sorted keys and no spaces.
private indirect enum JSONText {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([JSONText])
    case object([String: JSONText])

    func write(to out: inout String) {
        switch self {
        case .int(let value): out += String(value)
        case .bool(let value): out += value ? "true" : "false"
        case .string(let text): JSONQuoting.append(text, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONQuoting.append(key, to: &out)
                out += ":"
                members[key]?.write(to: &out)
            }
            out += "}"
        }
    }
}
