public import LedgeCore
public import Logging

/// When a model's dynamic batcher closes a batch (Triton's `max_batch_size`
/// and `dynamic_batching { preferred_batch_size, max_queue_delay_microseconds }`).
///
/// A batch closes when it holds ``maxBatchSize`` items; else when the
/// waiting requests make up one of ``preferredBatchSizes`` (the largest one
/// possible); else once its oldest request has waited ``maxQueueDelay``.
/// A batch is only formed when an instance of the model is free.
public struct BatchingPolicy: Sendable, Hashable {
    /// The most items (the sum of the requests' first dimensions) in one batch.
    public var maxBatchSize: Int
    /// Batch sizes to send as soon as they can be formed, without waiting.
    public var preferredBatchSizes: [Int]
    /// How long the oldest request of a batch may wait for others; zero sends
    /// whatever is queued as soon as an instance is free.
    public var maxQueueDelay: Duration

    public init(maxBatchSize: Int, preferredBatchSizes: [Int] = [], maxQueueDelay: Duration = .zero) {
        self.maxBatchSize = maxBatchSize
        self.preferredBatchSizes = preferredBatchSizes
        self.maxQueueDelay = maxQueueDelay
    }

    /// Throws ``LedgeError/Code/usage`` naming the value at fault: a max batch
    /// size below 1, a preferred size outside 1…max, a negative delay.
    public func validate() throws {
        guard maxBatchSize >= 1 else { throw LedgeError.usage("max batch size must be at least 1, got \(maxBatchSize)") }
        for size in preferredBatchSizes where size < 1 || size > maxBatchSize {
            throw LedgeError.usage("preferred batch size \(size) must be between 1 and the max batch size \(maxBatchSize)")
        }
        guard maxQueueDelay >= .zero else { throw LedgeError.usage("max queue delay must be at least 0, got \(maxQueueDelay)") }
    }

    /// Why requests to a model with these tensors cannot be batched along
    /// their first dimension, `nil` when they can: every input and every
    /// output needs a dynamic first dimension (the batch).
    public static func unbatchableReason(_ info: ModelInfo) -> String? {
        for (kind, specs) in [("input", info.inputs), ("output", info.outputs)] {
            for spec in specs {
                guard let first = spec.shape.first else { return "\(kind) '\(spec.name)' is a scalar" }
                guard first < 0 else {
                    return "\(kind) '\(spec.name)' has shape \(spec.shapeDescription), with a fixed first dimension (no batch dimension)"
                }
            }
        }
        return info.inputs.isEmpty ? "the model has no inputs" : nil
    }
}

/// What decides which requests may share a batch: the same number of inputs,
/// each with the same dtype and the same dimensions after the first, and one
/// first dimension (the request's item count) shared by all inputs.
struct BatchKey: Hashable, Sendable {
    var dtypes: [DType]
    var trailing: [[Int]]

    /// The key of `inputs` and their item count; `nil` when they cannot be
    /// batched (no inputs, a scalar, or inputs whose first dimensions differ).
    static func of(_ inputs: [Tensor]) -> (key: BatchKey, items: Int)? {
        guard let items = inputs.first?.shape.first else { return nil }
        var key = BatchKey(dtypes: [], trailing: [])
        for tensor in inputs {
            guard tensor.shape.first == items else { return nil }
            key.dtypes.append(tensor.dtype)
            key.trailing.append(Array(tensor.shape.dropFirst()))
        }
        return (key, items)
    }
}

extension DynamicBatcher {
    /// A batcher for the model called `name` when `policy` is set and its
    /// tensors have a batch dimension (see ``BatchingPolicy/unbatchableReason(_:)``),
    /// logging the choice; `nil` otherwise.
    public static func forModel(
        named name: String, info: ModelInfo, pool: SessionPool, policy: BatchingPolicy?, queueLimit: Int, levelLimits: [Int: Int] = [:],
        logger: Logger
    ) -> DynamicBatcher? {
        guard let policy else { return nil }
        if let reason = BatchingPolicy.unbatchableReason(info) {
            logger.notice("model '\(name)' is not batched: \(reason)")
            return nil
        }
        let preferred = policy.preferredBatchSizes.isEmpty ? "" : ", preferred \(policy.preferredBatchSizes.map(String.init).joined(separator: ","))"
        logger.info(
            "model '\(name)': dynamic batching, at most \(policy.maxBatchSize) items\(preferred), queue delay \(Int(policy.maxQueueDelay / .microseconds(1))) µs"
        )
        return DynamicBatcher(modelName: name, pool: pool, policy: policy, queueLimit: queueLimit, levelLimits: levelLimits, logger: logger)
    }
}
