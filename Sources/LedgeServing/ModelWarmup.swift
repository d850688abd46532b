internal import LedgeCore

/// A model's `model_warmup` samples (config.pbtxt), built once into tensors and run on each
/// instance before it serves: the first real requests then find the runtime's buffers, caches and
/// thread pool warm (Triton's model warmup). A sample that does not fit the model fails the load,
/// naming the sample, as Triton's does.
struct ModelWarmup: Sendable {
    private let samples: [(config: WarmupConfig, inputs: [Tensor])]
    private let configPath: String

    /// The samples of `config` for a model of `info`; input files are read from `folder`
    /// (the model's `warmup` folder); `configPath` names the config in errors.
    init(config: ModelConfig, info: ModelInfo, folder: String, configPath: String) throws {
        self.configPath = configPath
        samples = try config.warmups.map { sample in
            do {
                return (sample, try Self.inputs(of: sample, batched: config.maxBatchSize > 0, info: info, folder: folder))
            } catch let error as LedgeError {
                throw LedgeError.invalidModel("\(configPath): model_warmup '\(sample.name)': \(error.message)")
            }
        }
    }

    var isEmpty: Bool { samples.isEmpty }

    /// What is run, for the log: `'zeros' ×2, 'photo'`.
    var summary: String { samples.map { "'\($0.config.name)'" + ($0.config.runs > 1 ? " ×\($0.config.runs)" : "") }.joined(separator: ", ") }

    /// Runs every sample its number of times on `instance` (blocking; before the instance serves).
    func run(on instance: ModelInstance) throws {
        for (config, inputs) in samples {
            for _ in 0..<config.runs {
                do {
                    _ = try instance.session.run(inputs)
                } catch let error as LedgeError {
                    throw LedgeError.invalidModel("\(configPath): model_warmup '\(config.name)': \(error.message)")
                }
            }
        }
    }

    /// One tensor per model input, in the model's order.
    private static func inputs(of sample: WarmupConfig, batched: Bool, info: ModelInfo, folder: String) throws -> [Tensor] {
        if let extra = sample.inputs.first(where: { input in !info.inputs.contains { $0.name == input.name } }) {
            throw LedgeError.invalidInput(
                "the model has no input '\(extra.name)': expected \(info.inputs.map { "'\($0.name)'" }.joined(separator: ", "))")
        }
        if !batched && sample.batchSize != 1 {
            throw LedgeError.invalidInput("batch_size is \(sample.batchSize) but the model does not batch (max_batch_size 0): expected 1")
        }
        return try info.inputs.map { spec in
            guard let input = sample.inputs.first(where: { $0.name == spec.name }) else {
                throw LedgeError.invalidInput("input '\(spec.name)' of the model is not given: expected every input")
            }
            guard input.dtype == spec.dtype else {
                throw LedgeError.invalidInput("input '\(spec.name)' is \(input.dtype.tritonName) but the model takes \(spec.dtype.tritonName)")
            }
            var item = Tensor(dtype: input.dtype, shape: input.dims)
            switch input.data {
            case .zeros: break
            case .random: fillRandom(&item)
            case .file(let name):
                let path = PathName.appending(name, to: folder)
                let bytes = Array(try CheckedFile.read(path, kind: "warmup input", expected: "a file of raw input data", code: .invalidModel))
                guard bytes.count == item.byteCount else {
                    throw LedgeError.invalidInput(
                        "\(path) holds \(bytes.count) bytes but input '\(spec.name)' of shape \(input.dims) (\(input.dtype.tritonName)) needs \(item.byteCount)"
                    )
                }
                item.withUnsafeMutableBytes { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
            }
            guard batched else { return item }
            // The item repeated `batch_size` times along a new first dimension.
            let batch = sample.batchSize
            var tensor = Tensor(dtype: input.dtype, shape: [batch] + input.dims)
            item.withUnsafeBytes { source in
                tensor.withUnsafeMutableBytes { target in
                    for index in 0..<batch {
                        (target.baseAddress! + index * source.count).copyMemory(from: source.baseAddress!, byteCount: source.count)
                    }
                }
            }
            return tensor
        }
    }

    /// Uniform values in [0, 1) for floats, 0 or 1 for booleans, any value for integers.
    private static func fillRandom(_ tensor: inout Tensor) {
        var random = SystemRandomNumberGenerator()
        let dtype = tensor.dtype
        tensor.withUnsafeMutableBytes { bytes in
            switch dtype {
            case .float32:
                for i in 0..<(bytes.count / 4) { bytes.storeBytes(of: Float.random(in: 0..<1, using: &random), toByteOffset: i * 4, as: Float.self) }
            case .float64:
                for i in 0..<(bytes.count / 8) {
                    bytes.storeBytes(of: Double.random(in: 0..<1, using: &random), toByteOffset: i * 8, as: Double.self)
                }
            case .float16:
                for i in 0..<(bytes.count / 2) {
                    bytes.storeBytes(of: Float16(Float.random(in: 0..<1, using: &random)), toByteOffset: i * 2, as: Float16.self)
                }
            case .bool:
                for i in 0..<bytes.count { bytes[i] = UInt8.random(in: 0...1, using: &random) }
            default:
                for i in 0..<bytes.count { bytes[i] = UInt8.random(in: 0...255, using: &random) }
            }
        }
    }
}
