internal import LedgeCore
internal import LedgeEngine

/// One successful run of a request on an instance of a model, and where its
/// time went, for ``ServerMetrics`` to record.
struct ModelExecution<Value: Sendable>: Sendable {
    /// What the run returned.
    var value: Value
    /// Waiting for a free instance.
    var queued: Duration
    /// Decoding and preprocessing an image; `nil` for tensor requests.
    var input: Duration?
    /// The session run.
    var compute: Duration
    /// Model executions to count for this request: 0 when it shared a batch
    /// whose execution another request of it counts.
    var executions = 1
    /// Items in the execution (the batch); `nil`: the request's own items.
    var batchSize: Int? = nil
}

/// Running requests: the serving side of an inference (the pool lends the
/// instance, the model runs, the clock says where the time went).
extension ServedModel {
    /// Runs `inputs` on a free instance (see ``SessionPool/run(_:)``), in a
    /// batch with other requests when the model has a ``DynamicBatcher``:
    /// the outputs, the wait and the run.
    func infer(_ inputs: [Tensor]) async throws -> ModelExecution<[Tensor]> {
        if let batcher {
            let run = try await batcher.infer(inputs)
            return ModelExecution(
                value: run.outputs, queued: run.queued, input: nil, compute: run.compute,
                executions: run.countsExecution ? 1 : 0, batchSize: run.batchSize)
        }
        let (outputs, queued, ran) = try await timed { instance in try instance.session.run(inputs) }
        return ModelExecution(value: outputs, queued: queued, input: nil, compute: ran)
    }

    /// Classifies `upload` on a free instance: the result, the wait, decode and
    /// preprocessing as input time and the session run as compute time.
    func classify(_ upload: ImageUpload, topK: Int) async throws -> ModelExecution<ClassificationResult> {
        let name = self.name
        let (result, queued, _) = try await timed { instance in
            guard let classifier = instance.classifier else {
                throw ServerError.badRequest("model '\(name)' cannot classify images: \(instance.classifierError ?? "no image input")")
            }
            return try classifier.classify(data: upload.data, name: upload.name, topK: topK)
        }
        return ModelExecution(
            value: result, queued: queued,
            input: Self.duration(milliseconds: result.decodeMilliseconds + result.preprocessMilliseconds),
            compute: Self.duration(milliseconds: result.inferenceMilliseconds.first ?? 0))
    }

    /// `body`'s value, how long it waited for an instance and how long it ran.
    private func timed<T: Sendable>(_ body: @escaping @Sendable (ModelInstance) throws -> T)
        async throws -> (T, queued: Duration, ran: Duration)
    {
        let clock = ContinuousClock()
        let called = clock.now
        let (value, started, ended) = try await pool.run { instance in
            let started = clock.now
            let value = try body(instance)
            return (value, started, clock.now)
        }
        return (value, started - called, ended - started)
    }

    private static func duration(milliseconds: Double) -> Duration { .nanoseconds(Int64((milliseconds * 1e6).rounded())) }
}
