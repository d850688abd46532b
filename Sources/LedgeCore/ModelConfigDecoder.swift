/// Reads a ``ModelConfig`` out of a ``TextProto`` tree: every field Ledge
/// does not support is refused by name, every value checked for its type and range.
struct ModelConfigDecoder {
    typealias Message = TextProtoReader.Message

    static let topFields = [
        "name", "platform", "backend", "max_batch_size", "input", "output", "dynamic_batching", "instance_group",
        "version_policy", "parameters", "model_warmup", "default_model_filename",
    ]
    static let platforms = ["onnxruntime_onnx", "tflite"]
    /// Triton's backend names and the platform each runs (`armnn_tflite`: Triton's TFLite backend).
    static let backends = ["onnxruntime", "tflite", "armnn_tflite"]
    static let platformOfBackend = ["onnxruntime": "onnxruntime_onnx", "tflite": "tflite", "armnn_tflite": "tflite"]
    static let maxBatchSizeRange = 0...Int(Int32.max)

    let reader: TextProtoReader

    init(file: String, json: Bool = false) {
        self.reader = TextProtoReader(file: file, json: json)
    }

    func decode(_ tree: TextProto) throws -> ModelConfig {
        let top = Message(fields: tree, path: "", position: TextProto.Position(line: 1, column: 1))
        try reader.check(
            top, allowed: Self.topFields,
            repeated: Self.inertRepeatedFields.union(["input", "output", "instance_group", "parameters", "model_warmup"]),
            unlisted: Self.inertTopFields + ["optimization"])
        try checkInert(top, Self.inertTopFields)
        var config = ModelConfig()
        config.graphLevel = try checkOptimization(top)
        config.name = try reader.scalar(top, "name", expected: "a string in quotes").map(reader.string)
        config.platform = try choice(top, "platform", among: Self.platforms)
        config.backend = try choice(top, "backend", among: Self.backends)
        if let platform = config.platform, let backend = config.backend, Self.platformOfBackend[backend] != platform,
            let field = try reader.scalar(top, "backend", expected: "a string in quotes")
        {
            let expected = Self.backends.filter { Self.platformOfBackend[$0] == platform }.joined(separator: " or ")
            throw reader.error("backend '\(backend)' does not match platform '\(platform)': expected \(expected)", at: field.position)
        }
        if let field = try reader.scalar(top, "max_batch_size", expected: "an integer") {
            config.declaredMaxBatchSize = try reader.integer(
                field, in: Self.maxBatchSizeRange, expected: "an integer from 0 to \(Self.maxBatchSizeRange.upperBound)")
        }
        config.inputs = try tensors(top, "input")
        config.outputs = try tensors(top, "output")
        if config.declaredMaxBatchSize == nil, let reshaped = (config.inputs + config.outputs).first(where: { $0.reshape != nil }) {
            throw reader.error(
                "'\(TextProto.printable(reshaped.name))' has a reshape: expected max_batch_size in the config (0 for no batch dimension)",
                at: top.position)
        }
        // (An empty label_filename, as Triton's dumps write on every output, names no file.)
        let labelled = zip(try reader.messages(top, "output"), config.outputs).filter { $0.1.labelFilename != nil }.map(\.0)
        if labelled.count > 1, let second = labelled.dropFirst().first {
            let names = config.outputs.filter { $0.labelFilename != nil }.map { "'\(TextProto.printable($0.name))'" }
            throw reader.error(
                "label_filename is given on outputs \(names.joined(separator: " and ")): expected it on one output (ledge serves one label file per model)",
                at: second.position)
        }
        if let field = try reader.scalar(top, "default_model_filename", expected: "a string in quotes") {
            config.defaultModelFilename = try fileName(field, endings: [".onnx", ".tflite"])
        }
        if let batching = try reader.message(top, "dynamic_batching") {
            config.dynamicBatching = try dynamicBatching(batching)
            if let max = config.declaredMaxBatchSize, let problem = config.batchingProblem(maxBatchSize: max) {
                throw reader.error(problem, at: batching.position)
            }
        }
        config.instanceGroups = try reader.messages(top, "instance_group").map(instanceGroup)
        if let policy = try reader.message(top, "version_policy") {
            config.versionPolicy = try versionPolicy(policy)
        }
        config.parameters = try parameters(top)
        config.warmups = try reader.messages(top, "model_warmup").map(warmup)
        return config
    }

    /// `a`, `a or b`, `a, b or c`.
    static func either(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }

    /// A string field whose value must be one of `among`.
    private func choice(_ top: Message, _ name: String, among: [String]) throws -> String? {
        guard let field = try reader.scalar(top, name, expected: "a string in quotes") else { return nil }
        let value = try reader.string(field)
        guard among.contains(value) else {
            throw reader.error(
                "\(name) '\(TextProto.printable(value))' is not supported by ledge: expected \(Self.either(among))", at: field.position)
        }
        return value
    }

    private func tensors(_ top: Message, _ kind: String) throws -> [TensorConfig] {
        var seen: Set<String> = []
        return try reader.messages(top, kind).map { message in
            let tensor = try self.tensor(message, kind: kind)
            guard seen.insert(tensor.name).inserted else {
                let position = message.fields.fields(named: "name").first?.position ?? message.position
                throw reader.error(
                    "\(message.path("name")): '\(TextProto.printable(tensor.name))' is given twice: expected unique \(kind) names", at: position)
            }
            return tensor
        }
    }

    /// A file name in the model's folder (no `/`, not `.` or `..`), ending in one of `endings` when given.
    private func fileName(_ field: TextProtoReader.Scalar, endings: [String] = []) throws -> String {
        let name = try reader.string(field)
        let ending = endings.isEmpty || endings.contains { name.hasSuffix($0) && name.count > $0.count }
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", ending else {
            let what = endings.isEmpty ? "" : " ending in " + endings.joined(separator: " or ")
            throw reader.error(
                "\(field.path): '\(TextProto.printable(name))' is not a file name: expected the name of a file in the model's folder\(what)",
                at: field.position)
        }
        return name
    }

    private func tensor(_ message: Message, kind: String) throws -> TensorConfig {
        let fields = ["name", "data_type", "dims", "reshape"] + (kind == "output" ? ["label_filename"] : ["format"])
        let inert = kind == "output" ? Self.inertOutputFields : Self.inertInputFields
        try reader.check(message, allowed: fields, repeated: ["dims"], unlisted: inert)
        try checkInert(message, inert)
        let required = "name, data_type and dims in each \(kind)"
        guard let nameField = try reader.scalar(message, "name", expected: "a string in quotes") else {
            throw reader.missing(message, "name", expected: required)
        }
        let name = try reader.string(nameField)
        guard !name.isEmpty else {
            throw reader.error("\(nameField.path): expected a non-empty string, found \"\"", at: nameField.position)
        }
        guard let typeField = try reader.scalar(message, "data_type", expected: "a data type such as TYPE_FP32") else {
            throw reader.missing(message, "data_type", expected: required)
        }
        let dtype = try dataType(typeField)
        let dimFields = reader.scalars(message, "dims")
        guard !message.fields.fields(named: "dims").isEmpty else { throw reader.missing(message, "dims", expected: required) }
        guard !dimFields.isEmpty else {
            throw reader.error("\(message.path("dims")) is empty: expected at least one dimension", at: message.position)
        }
        let dims = try dimFields.map { field in
            let value = try reader.integer(field, in: -1...Int.max, expected: "a positive integer or -1")
            guard value != 0 else {
                throw reader.error("\(field.path): 0 is out of range: expected a positive integer or -1", at: field.position)
            }
            return value
        }
        // An empty label_filename is Triton's "none" (its dumps write it on every output).
        let labels = try reader.scalar(message, "label_filename", expected: "a string in quotes").flatMap {
            try reader.string($0).isEmpty ? nil : try fileName($0)
        }
        var tensor = TensorConfig(name: name, dtype: dtype, dims: dims, labelFilename: labels)
        if let reshape = try reader.message(message, "reshape") {
            try reader.check(reshape, allowed: ["shape"], repeated: ["shape"])
            tensor.reshape = try reader.scalars(reshape, "shape").map { field in
                try reader.integer(field, in: 1...Int.max, expected: "a positive integer (ledge reshapes fixed sizes only)")
            }
            if dims.contains(-1) {
                throw reader.error(
                    "\(message.path("reshape")): dims \(dims) have a dynamic size: expected fixed dims with reshape (ledge reshapes fixed sizes only)",
                    at: reshape.position)
            }
            let (given, model) = (dims.reduce(1, *), tensor.reshape?.reduce(1, *) ?? 1)
            guard given == model else {
                throw reader.error(
                    "\(message.path("reshape")): shape \(tensor.reshape ?? []) holds \(model) elements, dims \(dims) hold \(given): expected the same count",
                    at: reshape.position)
            }
        }
        if let field = try reader.scalar(message, "format", expected: "FORMAT_NONE, FORMAT_NCHW or FORMAT_NHWC") {
            let format = try reader.enumValue(
                field, expected: "FORMAT_NONE, FORMAT_NCHW or FORMAT_NHWC", names: ["FORMAT_NONE", "FORMAT_NHWC", "FORMAT_NCHW"])
            guard ["FORMAT_NONE", "FORMAT_NCHW", "FORMAT_NHWC"].contains(format) else {
                throw reader.error(
                    "\(field.path) \(format) is not an input format: expected FORMAT_NONE, FORMAT_NCHW or FORMAT_NHWC", at: field.position)
            }
            tensor.format = format
        }
        return tensor
    }

    /// Triton's `DataType` names by number.
    static let dataTypeNumbers = [
        "TYPE_INVALID", "TYPE_BOOL", "TYPE_UINT8", "TYPE_UINT16", "TYPE_UINT32", "TYPE_UINT64", "TYPE_INT8", "TYPE_INT16", "TYPE_INT32",
        "TYPE_INT64", "TYPE_FP16", "TYPE_FP32", "TYPE_FP64", "TYPE_STRING", "TYPE_BF16",
    ]

    func dataType(_ field: TextProtoReader.Scalar) throws -> DType {
        let name = try reader.enumValue(field, expected: "a data type such as TYPE_FP32", names: Self.dataTypeNumbers)
        if let dtype = DType(tritonName: name) { return dtype }
        let expected = "one of " + DType.tritonNames.map(\.name).joined(separator: ", ")
        let problem = DType.unsupportedTritonNames.contains(name) ? "is not supported by ledge" : "is not a Triton data type"
        throw reader.error("\(field.path) \(name) \(problem): expected \(expected)", at: field.position)
    }
}
