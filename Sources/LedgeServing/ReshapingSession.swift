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

/// A session whose inputs and outputs are reshaped as config.pbtxt says (``TensorReshapes``).
final class ReshapingSession: InferenceSession {
    let base: any InferenceSession
    private let reshapes: TensorReshapes
    private let inputNames: [String]
    private let outputNames: [String]

    init(base: any InferenceSession, reshapes: TensorReshapes) {
        self.base = base
        self.reshapes = reshapes
        inputNames = base.info.inputs.map(\.name)
        outputNames = base.info.outputs.map(\.name)
    }

    var info: ModelInfo { base.info }
    var executionProvider: String? { base.executionProvider }
    func interrupt(reason: String) { base.interrupt(reason: reason) }

    /// The inputs as clients send them (the config's `dims`), checked as the model takes them.
    func validate(_ inputs: [Tensor]) throws {
        try base.validate(try reshapes.apply(reshapes.inputs, to: inputs, named: inputNames))
    }

    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        let outputs = try base.run(try reshapes.apply(reshapes.inputs, to: inputs, named: inputNames))
        return try reshapes.apply(reshapes.outputs, to: outputs, named: outputNames)
    }
}
