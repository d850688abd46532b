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
        inputs = Dictionary(config.inputs.compactMap { tensor in tensor.reshape.map { (tensor.name, $0) } }) { first, _ in first }
        outputs = Dictionary(config.outputs.compactMap { tensor in tensor.reshape.map { _ in (tensor.name, tensor.dims) } }) { first, _ in first }
        batched = config.maxBatchSize > 0
        if inputs.isEmpty && outputs.isEmpty { return nil }
    }

    /// `tensor` in `shape` (after its batch dimension); throws when the element counts differ (a model
    /// output whose size the model leaves dynamic can disagree with the config).
    func shape(_ tensor: Tensor, as shape: [Int], name: String) throws -> Tensor {
        let target = batched ? [tensor.shape.first ?? 1] + shape : shape
        guard Tensor.elementCount(target) == tensor.count else {
            throw LedgeError.runtimeFailure(
                "'\(name)' has shape \(tensor.shape), which config.pbtxt's reshape cannot make \(target): expected \(Tensor.elementCount(target)) elements"
            )
        }
        return tensor.reshaped(target)
    }
}

/// A session whose inputs and outputs are reshaped as config.pbtxt says (``TensorReshapes``).
final class ReshapingSession: InferenceSession {
    let base: any InferenceSession
    private let inputShapes: [(name: String, shape: [Int]?)]
    private let outputShapes: [(name: String, shape: [Int]?)]
    private let reshapes: TensorReshapes

    init(base: any InferenceSession, reshapes: TensorReshapes) {
        self.base = base
        self.reshapes = reshapes
        inputShapes = base.info.inputs.map { ($0.name, reshapes.inputs[$0.name]) }
        outputShapes = base.info.outputs.map { ($0.name, reshapes.outputs[$0.name]) }
    }

    var info: ModelInfo { base.info }
    var executionProvider: String? { base.executionProvider }

    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        let given = try zip(inputs, inputShapes).map { tensor, spec in
            try spec.shape.map { try reshapes.shape(tensor, as: $0, name: spec.name) } ?? tensor
        }
        let outputs = try base.run(given + inputs.dropFirst(given.count))
        return try zip(outputs, outputShapes).map { tensor, spec in
            try spec.shape.map { try reshapes.shape(tensor, as: $0, name: spec.name) } ?? tensor
        } + outputs.dropFirst(outputShapes.count)
    }
}
