/// `model_warmup`: sample requests run on every instance before it serves.
extension ModelConfigDecoder {
    /// The most runs of one sample (`count`).
    static let warmupCountRange = 0...1000

    func warmup(_ message: Message) throws -> WarmupConfig {
        try reader.check(message, allowed: ["name", "batch_size", "inputs", "count"], repeated: ["inputs"])
        guard let nameField = try reader.scalar(message, "name", expected: "a string in quotes") else {
            throw reader.missing(message, "name", expected: "a name for each model_warmup")
        }
        let name = try reader.string(nameField)
        guard !name.isEmpty else { throw reader.error("\(nameField.path): expected a non-empty string, found \"\"", at: nameField.position) }
        let batchSize = try reader.scalar(message, "batch_size", expected: "an integer").map {
            try reader.integer($0, in: 1...Self.maxBatchSizeRange.upperBound, expected: "a positive integer")
        }
        let count = try reader.scalar(message, "count", expected: "an integer").map {
            try reader.integer($0, in: Self.warmupCountRange, expected: "an integer from 0 to 1000")
        }
        var inputs: [WarmupConfig.Input] = []
        for entry in try reader.messages(message, "inputs") {
            try reader.check(entry, allowed: ["key", "value"])
            guard let keyField = try reader.scalar(entry, "key", expected: "a string in quotes") else {
                throw reader.missing(entry, "key", expected: "key and value in each inputs")
            }
            let key = try reader.string(keyField)
            guard !inputs.contains(where: { $0.name == key }) else {
                throw reader.error("inputs key '\(TextProto.printable(key))' is given twice: expected it once", at: keyField.position)
            }
            guard let value = try reader.message(entry, "value") else {
                throw reader.missing(entry, "value", expected: "value { data_type dims and zero_data, random_data or input_data_file }")
            }
            inputs.append(try warmupInput(value, name: key))
        }
        guard !inputs.isEmpty else { throw reader.missing(message, "inputs", expected: "an input of the model for each of its inputs") }
        return WarmupConfig(name: name, batchSize: batchSize ?? 1, inputs: inputs, count: count ?? 0)
    }

    private func warmupInput(_ message: Message, name: String) throws -> WarmupConfig.Input {
        try reader.check(message, allowed: ["data_type", "dims", "zero_data", "random_data", "input_data_file"], repeated: ["dims"])
        guard let typeField = try reader.scalar(message, "data_type", expected: "a data type such as TYPE_FP32") else {
            throw reader.missing(message, "data_type", expected: "a data type such as TYPE_FP32")
        }
        let dims = try reader.scalars(message, "dims").map { try reader.integer($0, in: 1...Int(Int32.max), expected: "a positive integer") }
        let kinds = ["zero_data", "random_data", "input_data_file"].filter { !message.fields.fields(named: $0).isEmpty }
        guard kinds.count == 1, let kind = kinds.first, let field = try reader.scalar(message, kind, expected: "a value") else {
            throw reader.error(
                "\(message.path): expected one of zero_data, random_data or input_data_file, found \(kinds.isEmpty ? "none" : kinds.joined(separator: " and "))",
                at: message.position)
        }
        let data: WarmupConfig.Data
        switch kind {
        case "input_data_file":
            let file = try reader.string(field)
            guard !file.isEmpty, !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                throw reader.error(
                    "\(field.path): '\(TextProto.printable(file))' is not a file of the model's warmup folder: expected a relative path without '..'",
                    at: field.position)
            }
            data = .file(file)
        default:
            guard try reader.boolean(field) else {
                throw reader.error("\(field.path): expected true (give the kind of data that is wanted)", at: field.position)
            }
            data = kind == "zero_data" ? .zeros : .random
        }
        return WarmupConfig.Input(name: name, dtype: try dataType(typeField), dims: dims, data: data)
    }
}

/// `model_warmup { name batch_size inputs { key value { … } } count }`: a sample request run on every
/// instance before it serves (Triton's), so the first real requests do not pay for first runs.
public struct WarmupConfig: Sendable, Hashable {
    /// Where an input's values come from.
    public enum Data: Sendable, Hashable {
        case zeros
        /// Uniform in [0, 1) for floats, any value for integers.
        case random
        /// Raw bytes, row-major, from this file of the model's `warmup` folder (for one batch item).
        case file(String)
    }

    /// One input of the sample.
    public struct Input: Sendable, Hashable {
        public var name: String
        public var dtype: DType
        /// Without the batch dimension when the model batches (`max_batch_size` > 0).
        public var dims: [Int]
        public var data: Data

        public init(name: String, dtype: DType, dims: [Int], data: Data) {
            self.name = name
            self.dtype = dtype
            self.dims = dims
            self.data = data
        }
    }

    public var name: String
    /// Items per run when the model batches (the inputs repeated); 1 otherwise.
    public var batchSize: Int
    /// In the order written.
    public var inputs: [Input]
    /// Runs of the sample on each instance; 0 means one, as in Triton.
    public var count: Int

    public init(name: String, batchSize: Int = 1, inputs: [Input], count: Int = 0) {
        self.name = name
        self.batchSize = batchSize
        self.inputs = inputs
        self.count = count
    }

    /// How many times the sample runs on each instance.
    public var runs: Int { max(count, 1) }
}
