internal import LedgeCore
internal import LedgeServing

/// Model metadata and configuration as the protocol's messages, with the same
/// content as `GET /v2/models/{m}` and `GET /v2/models/{m}/config` over HTTP.
enum ModelMessages {
    /// The metadata of `model`, listing `versions`.
    static func metadata(_ model: ServedModel, versions: [String]) -> Inference_ModelMetadataResponse {
        var message = Inference_ModelMetadataResponse()
        message.name = model.name
        message.versions = versions
        message.platform = model.platform
        message.inputs = model.info.inputs.map(tensor)
        message.outputs = model.info.outputs.map(tensor)
        return message
    }

    private static func tensor(_ spec: TensorSpec) -> Inference_ModelMetadataResponse.TensorMetadata {
        var tensor = Inference_ModelMetadataResponse.TensorMetadata()
        tensor.name = spec.name
        tensor.datatype = spec.dtype.v2Name
        tensor.shape = spec.shape.map { $0 < 0 ? -1 : Int64($0) }
        return tensor
    }

    /// Triton's `ModelConfig` message of `config` (the subset a Ledge repository can set).
    static func config(_ config: ModelConfig) -> Inference_ModelConfig {
        var message = Inference_ModelConfig()
        message.name = config.name ?? ""
        message.platform = config.platform ?? ""
        message.backend = config.backend ?? ""
        message.maxBatchSize = Int32(clamping: config.maxBatchSize)
        message.input = config.inputs.map { tensor in
            var input = Inference_ModelInput()
            input.name = tensor.name
            input.dataType = dataType(tensor.dtype)
            input.dims = tensor.dims.map(Int64.init)
            input.format = tensor.format == "FORMAT_NCHW" ? .nchw : tensor.format == "FORMAT_NHWC" ? .nhwc : .none
            if let shape = tensor.reshape { input.reshape.shape = shape.map(Int64.init) }
            return input
        }
        message.output = config.outputs.map { tensor in
            var output = Inference_ModelOutput()
            output.name = tensor.name
            output.dataType = dataType(tensor.dtype)
            output.dims = tensor.dims.map(Int64.init)
            output.labelFilename = tensor.labelFilename ?? ""
            if let shape = tensor.reshape { output.reshape.shape = shape.map(Int64.init) }
            return output
        }
        message.defaultModelFilename = config.defaultModelFilename ?? ""
        message.instanceGroup = config.instanceGroups.map { group in
            var instances = Inference_ModelInstanceGroup()
            instances.count = Int32(clamping: group.count)
            instances.kind = group.kind == "KIND_CPU" ? .cpu : .auto
            return instances
        }
        if let batching = config.dynamicBatching {
            message.dynamicBatching.preferredBatchSize = batching.preferredBatchSizes.map { Int32(clamping: $0) }
            message.dynamicBatching.maxQueueDelayMicroseconds = UInt64(clamping: batching.maxQueueDelayMicroseconds)
            if let policy = batching.queuePolicy { message.dynamicBatching.defaultQueuePolicy = Self.message(policy) }
            if let priorities = batching.priorities {
                message.dynamicBatching.priorityLevels = UInt64(clamping: priorities.levels)
                message.dynamicBatching.defaultPriorityLevel = UInt64(clamping: priorities.defaultLevel)
                message.dynamicBatching.priorityQueuePolicy = Dictionary(
                    uniqueKeysWithValues: priorities.queuePolicies.map { (UInt64(clamping: $0.key), Self.message($0.value)) })
            }
        }
        switch config.versionPolicy {
        case .latest(let count): message.versionPolicy.latest.numVersions = UInt32(clamping: count)
        case .all: message.versionPolicy.all = Inference_ModelVersionPolicy.All()
        case .specific(let versions): message.versionPolicy.specific.versions = versions.map(Int64.init)
        }
        message.parameters = config.parameters.mapValues { value in
            var parameter = Inference_ModelParameter()
            parameter.stringValue = value
            return parameter
        }
        if let level = config.graphLevel { message.optimization.graph.level = Int32(clamping: level) }
        message.modelWarmup = config.warmups.map(Self.message)
        return message
    }

    /// A warmup sample as Triton's `ModelWarmup`.
    private static func message(_ warmup: WarmupConfig) -> Inference_ModelWarmup {
        var message = Inference_ModelWarmup()
        message.name = warmup.name
        message.batchSize = UInt32(clamping: warmup.batchSize)
        message.count = UInt32(clamping: warmup.count)
        for input in warmup.inputs {
            var sample = Inference_ModelWarmup.Input()
            sample.dataType = dataType(input.dtype)
            sample.dims = input.dims.map(Int64.init)
            switch input.data {
            case .zeros: sample.zeroData = true
            case .random: sample.randomData = true
            case .file(let file): sample.inputDataFile = file
            }
            message.inputs[input.name] = sample
        }
        return message
    }

    /// A queue policy as Triton's `ModelQueuePolicy`.
    private static func message(_ policy: QueuePolicyConfig) -> Inference_ModelQueuePolicy {
        var queue = Inference_ModelQueuePolicy()
        queue.timeoutAction = policy.delays ? .delay : .reject
        queue.defaultTimeoutMicroseconds = UInt64(clamping: policy.defaultTimeoutMicroseconds)
        queue.allowTimeoutOverride = policy.allowTimeoutOverride
        queue.maxQueueSize = UInt32(clamping: policy.maxQueueSize)
        return queue
    }

    /// The `DataType` enum value of `dtype` (Triton's numbering follows ``DType/tritonNames``' order).
    static func dataType(_ dtype: DType) -> Inference_DataType {
        guard let index = DType.tritonNames.firstIndex(where: { $0.dtype == dtype }) else { return .typeInvalid }
        return Inference_DataType(rawValue: index + 1) ?? .typeInvalid
    }
}
