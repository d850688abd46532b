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

    func shape(_ tensor: Tensor, as shape: [Int]) -> Tensor {
        tensor.reshaped(batched ? [tensor.shape.first ?? 1] + shape : shape)
    }
}

/// A session whose inputs and outputs are reshaped as config.pbtxt says (``TensorReshapes``).
final class ReshapingSession: InferenceSession {
    let base: any InferenceSession
    private let inputShapes: [[Int]?]
    private let outputShapes: [[Int]?]
    private let reshapes: TensorReshapes

    init(base: any InferenceSession, reshapes: TensorReshapes) {
        self.base = base
        self.reshapes = reshapes
        inputShapes = base.info.inputs.map { reshapes.inputs[$0.name] }
        outputShapes = base.info.outputs.map { reshapes.outputs[$0.name] }
    }

    var info: ModelInfo { base.info }
    var executionProvider: String? { base.executionProvider }

    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        let given = zip(inputs, inputShapes).map { tensor, shape in shape.map { reshapes.shape(tensor, as: $0) } ?? tensor }
        let outputs = try base.run(given + inputs.dropFirst(given.count))
        return zip(outputs, outputShapes).map { tensor, shape in shape.map { reshapes.shape(tensor, as: $0) } ?? tensor }
            + outputs.dropFirst(outputShapes.count)
    }
}
