internal import LedgeServing

extension ModelMessages {
    /// Triton's `ModelStatistics` message of one model version.
    static func statistics(_ statistics: ModelStatistics) -> Inference_ModelStatistics {
        func duration(_ tally: ModelStatistics.Tally) -> Inference_StatisticDuration {
            var message = Inference_StatisticDuration()
            message.count = tally.count
            message.ns = tally.ns
            return message
        }
        var message = Inference_ModelStatistics()
        message.name = statistics.name
        message.version = statistics.version
        message.lastInference = statistics.lastInference
        message.inferenceCount = statistics.inferenceCount
        message.executionCount = statistics.executionCount
        var infer = Inference_InferStatistics()
        infer.success = duration(statistics.success)
        infer.fail = duration(statistics.fail)
        infer.queue = duration(statistics.queue)
        infer.computeInput = duration(statistics.computeInput)
        infer.computeInfer = duration(statistics.computeInfer)
        infer.computeOutput = duration(statistics.computeOutput)
        infer.cacheHit = Inference_StatisticDuration()
        infer.cacheMiss = Inference_StatisticDuration()
        message.inferenceStats = infer
        message.batchStats = statistics.batches.map { batch in
            var stats = Inference_InferBatchStatistics()
            stats.batchSize = UInt64(batch.size)
            stats.computeInput = duration(batch.computeInput)
            stats.computeInfer = duration(batch.computeInfer)
            stats.computeOutput = duration(batch.computeOutput)
            return stats
        }
        return message
    }
}
