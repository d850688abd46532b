internal import LedgeServing

/// Triton's statistics extension over HTTP: `{"model_stats": [...]}`, field names as Triton's.
struct StatisticsResponse: Encodable {
    struct Duration: Encodable {
        var count: UInt64
        var ns: UInt64

        init(_ tally: ModelStatistics.Tally) {
            count = tally.count
            ns = tally.ns
        }
    }

    struct InferenceStats: Encodable {
        var success, fail, queue, compute_input, compute_infer, compute_output, cache_hit, cache_miss: Duration
    }

    struct BatchStats: Encodable {
        var batch_size: Int
        var compute_input, compute_infer, compute_output: Duration
    }

    struct ModelStat: Encodable {
        var name, version: String
        var last_inference, inference_count, execution_count: UInt64
        var inference_stats: InferenceStats
        var batch_stats: [BatchStats]
        var memory_usage: [Int] = []
    }

    var model_stats: [ModelStat]

    init(_ statistics: [ModelStatistics]) {
        let none = Duration(ModelStatistics.Tally())
        model_stats = statistics.map { stats in
            ModelStat(
                name: stats.name, version: stats.version, last_inference: stats.lastInference, inference_count: stats.inferenceCount,
                execution_count: stats.executionCount,
                inference_stats: InferenceStats(
                    success: Duration(stats.success), fail: Duration(stats.fail), queue: Duration(stats.queue),
                    compute_input: Duration(stats.computeInput), compute_infer: Duration(stats.computeInfer),
                    compute_output: Duration(stats.computeOutput), cache_hit: none, cache_miss: none),
                batch_stats: stats.batches.map {
                    BatchStats(
                        batch_size: $0.size, compute_input: Duration($0.computeInput), compute_infer: Duration($0.computeInfer),
                        compute_output: Duration($0.computeOutput))
                })
        }
    }
}
