/// Fields of Triton's model configuration that Ledge has no work for while they are off.
///
/// Triton writes every field when it dumps a configuration (`GET /v2/models/{m}/config`,
/// `--log-verbose`, Model Analyzer's configs): `batch_input: []`, `response_cache { enable: false }`,
/// `is_shape_tensor: false`, `optimization { eager_batching: false … }`. Such a field is taken
/// while it holds protobuf's default — `false`, `0`, `""`, an empty list or map — which asks for
/// nothing; any other value would ask for something Ledge does not do, and is refused by its path
/// as every unsupported field is.
extension ModelConfigDecoder {
    /// The top-level fields taken while off.
    /// (`optimization` is read by ``checkOptimization(_:)``.)
    static let inertTopFields = [
        "runtime", "batch_input", "batch_output", "cc_model_filenames", "metric_tags", "model_operations", "model_transaction_policy",
        "model_repository_agents", "response_cache",
    ]
    /// The repeated fields among the inert ones.
    static let inertRepeatedFields: Set<String> = ["batch_input", "batch_output", "gpus", "secondary_devices", "profile"]
    /// An input's fields taken while off.
    static let inertInputFields = ["is_shape_tensor", "allow_ragged_batch", "optional", "is_non_linear_format_io"]
    /// An output's fields taken while off.
    static let inertOutputFields = ["is_shape_tensor", "is_non_linear_format_io"]
    /// An instance group's fields taken while off (its `name` is a label, taken as it is).
    static let inertInstanceGroupFields = ["gpus", "secondary_devices", "profile", "passive", "host_policy", "rate_limiter"]
    /// The `optimization` fields that only change how a GPU runs (Triton dumps pinned memory on),
    /// taken whatever they hold: Ledge runs models on the CPU.
    /// (`priority` is the CUDA streams' priority.)
    static let gpuOptimizationFields = ["input_pinned_memory", "output_pinned_memory", "gather_kernel_buffer_threshold", "cuda", "priority"]
    /// The `optimization` fields taken while off (`graph` is read: ``graphLevel(_:)``).
    static let inertOptimizationFields = ["execution_accelerators", "eager_batching"]

    /// Refuses any of `names` in `message` that is not off, naming the first value set inside it.
    func checkInert(_ message: Message, _ names: [String]) throws {
        for field in message.fields.fields where names.contains(field.name) {
            let path = message.path(field.name)
            if let (inner, value) = firstSet(field.value, path: path) {
                let what = inner == path ? "this Triton field" : "Triton's '\(path)'"
                throw reader.error(
                    "field '\(inner)' is \(Self.shown(value)): expected \(off(value)) (ledge takes \(what) only when it is off)", at: field.position)
            }
        }
    }

    /// `optimization`: the GPU's fields taken as they are, the others while off; returns `graph`'s
    /// `level` (ONNX Runtime's graph optimization level), `nil` when not given.
    func checkOptimization(_ top: Message) throws -> Int? {
        guard let optimization = try reader.message(top, "optimization") else { return nil }
        try reader.check(optimization, allowed: Self.gpuOptimizationFields + ["graph"] + Self.inertOptimizationFields)
        // The GPU's fields are taken as they are: nothing of them would change a run on the CPU.
        try checkInert(optimization, Self.inertOptimizationFields)
        return try reader.message(optimization, "graph").flatMap(graphLevel)
    }

    /// `optimization.graph.level`: -1 (basic), 0 (all), 1 (extended) or 2 (none), as Triton's ONNX Runtime
    /// backend reads it; `nil` for 0 or none.
    private func graphLevel(_ graph: Message) throws -> Int? {
        try reader.check(graph, allowed: ["level"])
        return try reader.scalar(graph, "level", expected: "an integer").map { field in
            let level = try reader.integer(field, in: Int(Int32.min)...Int(Int32.max), expected: "an integer")
            guard ONNXRuntimeSettings.graphLevel(triton: level) != nil else {
                throw reader.error(
                    "\(field.path) is \(level): expected one of ONNX Runtime's graph optimization levels: -1 (basic), 0 (all, the default), 1 (extended) or 2 (none)",
                    at: field.position)
            }
            return level
        }.flatMap { $0 == 0 ? nil : $0 }  // 0, the default (Triton's dumps write it), is no setting
    }

    /// The first value inside `value` (at `path`) that is not protobuf's default, with its path; `nil`: all off.
    private func firstSet(_ value: TextProto.Value, path: String) -> (String, TextProto.Value)? {
        switch value {
        case .identifier(let word):
            return TextProtoReader.falseWords.contains(word) ? nil : (path, value)
        case .string(let text): return text.isEmpty ? nil : (path, value)
        case .number(let text): return Double(text) == 0 ? nil : (path, value)
        case .list(let elements): return elements.isEmpty ? nil : (path, value)
        case .message(let fields):
            for field in fields.fields {
                if let found = firstSet(field.value, path: path + "." + field.name) { return found }
            }
            return nil
        }
    }

    /// A value as the refusal shows it.
    private static func shown(_ value: TextProto.Value) -> String {
        switch value {
        case .identifier(let word), .number(let word): return word
        case .string(let text): return "\"\(TextProto.printable(text))\""
        case .list: return "a list with elements"
        case .message: return "a message"
        }
    }

    /// The default a value of its kind would have (JSON gives enum values as strings).
    private func off(_ value: TextProto.Value) -> String {
        switch value {
        case .identifier(let word): return TextProtoReader.trueWords.contains(word) ? "false" : "its default"
        case .number: return "0"
        case .string: return reader.json ? "its default" : "\"\""
        case .list, .message: return "none"
        }
    }
}
