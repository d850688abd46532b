internal import LedgeServing
internal import ArgumentParser
internal import LedgeServer

/// Dynamic batching for `ledge serve` (Triton's `dynamic_batching`), applied to
/// every model whose inputs and outputs have a dynamic first dimension.
struct BatchingOptions: ParsableArguments {
    @Option(
        name: .customLong("max-batch-size"),
        help: ArgumentHelp(
            """
            Batch concurrent infer requests to each model with a batch dimension (a dynamic first dimension on every input \
            and output; the others run requests one by one): up to N items (the sum of the requests' first dimensions) run \
            as one execution. A batch is formed when an instance is free: at once with a full or preferred size, else once \
            its oldest request has waited --max-queue-delay-us. Requests of different shapes or types are not mixed; a \
            request of N items or more runs alone. Without this option nothing is batched.
            """,
            valueName: "N"))
    var maxBatchSize: Int?

    @Option(
        name: .customLong("max-queue-delay-us"),
        help: ArgumentHelp(
            "Microseconds a request may wait for others to join its batch; 0 sends what is queued as soon as an instance is free.",
            valueName: "U"))
    var maxQueueDelayMicroseconds: Int?

    @Option(
        name: .customLong("preferred-batch-size"),
        help: ArgumentHelp("A batch size to send as soon as it can be formed, without waiting (repeatable).", valueName: "K"))
    var preferredBatchSizes: [Int] = []

    func validate() throws {
        guard let maxBatchSize else {
            if maxQueueDelayMicroseconds != nil || !preferredBatchSizes.isEmpty {
                throw ValidationError("--max-queue-delay-us and --preferred-batch-size need --max-batch-size")
            }
            return
        }
        guard (1...4096).contains(maxBatchSize) else {
            throw ValidationError("--max-batch-size must be between 1 and 4096, got \(maxBatchSize)")
        }
        if let delay = maxQueueDelayMicroseconds, !(0...60_000_000).contains(delay) {
            throw ValidationError("--max-queue-delay-us must be between 0 and 60000000, got \(delay)")
        }
        for size in preferredBatchSizes where !(1...maxBatchSize).contains(size) {
            throw ValidationError("--preferred-batch-size must be between 1 and --max-batch-size (\(maxBatchSize)), got \(size)")
        }
    }

    /// The policy these options describe, `nil` without `--max-batch-size`.
    var policy: BatchingPolicy? {
        maxBatchSize.map { size in
            BatchingPolicy(
                maxBatchSize: size, preferredBatchSizes: preferredBatchSizes.sorted(),
                maxQueueDelay: .microseconds(maxQueueDelayMicroseconds ?? 0))
        }
    }
}
