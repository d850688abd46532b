public import LedgeCore

/// config.pbtxt's `reshape`: the tensors clients send and get in the config's `dims` while the model
/// takes and gives them in the reshape's shape (Triton's quickstart densenet: `dims: [3, 224, 224]`,
/// `reshape { shape: [1, 3, 224, 224] }`). The same elements either way, so a reshape is free.
struct TensorReshapes: Sendable {
    /// Input name → the model's shape, output name → the clients' shape (each without the batch dimension).
    let inputs: [String: [Int]]
    let outputs: [String: [Int]]
    /// `max_batch_size` > 0: the first dimension is the batch, kept as it is.
    let batched: Bool

    /// The reshapes `config` gives; `nil` when it gives none.
    init?(_ config: ModelConfig?) {
        guard let config else { return nil }
        // Tensor names are unique in a config (its parser checks).
        inputs = Dictionary(uniqueKeysWithValues: config.inputs.compactMap { tensor in tensor.reshape.map { (tensor.name, $0) } })
        outputs = Dictionary(uniqueKeysWithValues: config.outputs.compactMap { tensor in tensor.reshape.map { _ in (tensor.name, tensor.dims) } })
        batched = config.maxBatchSize > 0
        if inputs.isEmpty && outputs.isEmpty { return nil }
    }

    /// `tensors` (named `names`, in order) each in the shape `shapes` gives its name (after its batch
    /// dimension); throws when the element counts differ (a model output whose size the model leaves
    /// dynamic can disagree with the config).
    func apply(_ shapes: [String: [Int]], to tensors: [Tensor], named names: [String]) throws -> [Tensor] {
        try tensors.enumerated().map { index, tensor in
            guard index < names.count, let shape = shapes[names[index]] else { return tensor }
            let target = batched ? [tensor.shape.first ?? 1] + shape : shape
            guard Tensor.elementCount(target) == tensor.count else {
                throw LedgeError.runtimeFailure(
                    "'\(names[index])' has shape \(tensor.shape), which config.pbtxt's reshape cannot make \(target): expected \(Tensor.elementCount(target)) elements"
                )
            }
            return tensor.reshaped(target)
        }
    }
}

/// A session as config.pbtxt serves it: its tensors reshaped (``TensorReshapes``), and only the
/// outputs the config lists, in its order, when it lists some (Triton's backends return only those;
/// ``ModelConfig/served(_:listed:)``). The model still computes every output.
final class ConfiguredSession: InferenceSession {
    let base: any InferenceSession
    let info: ModelInfo
    private let reshapes: TensorReshapes?
    private let inputNames: [String]
    private let outputNames: [String]
    /// The indices of the base's outputs served, in the order served; `nil`: all of them, in the model's order.
    private let served: [Int]?

    /// `base` as `config` serves it; `base` itself when the config changes nothing.
    static func wrap(_ base: any InferenceSession, config: ModelConfig?) -> any InferenceSession {
        let reshapes = TensorReshapes(config)
        let outputs = base.info.outputs
        let kept = ModelConfig.served(outputs, listed: config?.outputs ?? []).map(\.name)
        // A listed name the model lacks is the completed config's error, at load.
        let served = kept == outputs.map(\.name) ? nil : kept.compactMap { name in outputs.firstIndex { $0.name == name } }
        guard reshapes != nil || served != nil else { return base }
        return ConfiguredSession(base: base, reshapes: reshapes, served: served)
    }

    init(base: any InferenceSession, reshapes: TensorReshapes?, served: [Int]? = nil) {
        self.base = base
        self.reshapes = reshapes
        self.served = served
        inputNames = base.info.inputs.map(\.name)
        outputNames = base.info.outputs.map(\.name)
        var info = base.info
        if let served { info.outputs = served.map { base.info.outputs[$0] } }
        self.info = info
    }

    var executionProvider: String? { base.executionProvider }
    func interrupt(reason: String) { base.interrupt(reason: reason) }

    /// The inputs as clients send them (the config's `dims`), checked as the model takes them.
    func validate(_ inputs: [Tensor]) throws {
        guard let reshapes else { return try base.validate(inputs) }
        try base.validate(try reshapes.apply(reshapes.inputs, to: inputs, named: inputNames))
    }

    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        guard let reshapes else { return select(try base.run(inputs)) }
        let outputs = try base.run(try reshapes.apply(reshapes.inputs, to: inputs, named: inputNames))
        return select(try reshapes.apply(reshapes.outputs, to: outputs, named: outputNames))
    }

    private func select(_ outputs: [Tensor]) -> [Tensor] {
        guard let served else { return outputs }
        return served.map { outputs[$0] }
    }
}
