public import LedgeCore
public import LedgeEngine

/// One successful run of a request on an instance of a model, and where its
/// time went, for ``ServerMetrics`` to record.
package struct ModelExecution<Value: Sendable>: Sendable {
    /// What the run returned.
    package var value: Value
    /// Waiting for a free instance.
    package var queued: Duration
    /// Decoding and preprocessing an image; `nil` for tensor requests.
    package var input: Duration?
    /// The session run.
    package var compute: Duration
    /// Model executions to count for this request: 0 when it shared a batch
    /// whose execution another request of it counts.
    package var executions = 1
    /// Items in the execution (the batch); `nil`: the request's own items.
    package var batchSize: Int? = nil
}

/// Running requests: the serving side of an inference (the pool lends the
/// instance, the model runs, the clock says where the time went).
extension ServedModel {
    /// Runs `inputs` on a free instance (see ``SessionPool/run(_:)``), in a
    /// batch with other requests when the model has a ``DynamicBatcher``:
    /// the outputs, the wait and the run.
    /// A request still waiting at `deadline` (its queue timeout) is refused; `level` is its
    /// priority level (see ``level(priority:)``).
    package func infer(_ inputs: [Tensor], deadline: QueueDeadline? = nil, level: Int = 0) async throws -> ModelExecution<[Tensor]> {
        if let batcher {
            let run = try await batcher.infer(inputs, deadline: deadline, level: level)
            return ModelExecution(
                value: run.outputs, queued: run.queued, input: nil, compute: run.compute,
                executions: run.countsExecution ? 1 : 0, batchSize: run.batchSize)
        }
        let (outputs, queued, ran) = try await timed(deadline: deadline) { instance in try instance.session.run(inputs) }
        return ModelExecution(value: outputs, queued: queued, input: nil, compute: ran)
    }

    /// Classifies `upload`: decode and preprocessing on the request's task (input
    /// time), then a free instance only for the session run (the wait, then compute
    /// time), then top-k after the instance is given back. `tensors` gets the
    /// preprocessed input and the raw outputs (a trace at level TENSORS).
    package func classify(
        _ upload: ImageUpload, topK: Int, tensors: (@Sendable (_ input: Tensor, _ outputs: [Tensor]) -> Void)? = nil
    ) async throws -> ModelExecution<ClassificationResult> {
        guard let pipeline = imagePipeline else {
            throw LedgeError.invalidInput("model '\(name)' cannot classify images: \(imagePipelineError ?? "no image input")")
        }
        let prepared = try pipeline.prepare(data: upload.data, name: upload.name)
        let tensor = prepared.tensor
        // The queue timeout counts from here: decoding is the request's own work, not a wait.
        let (outputs, queued, ran) = try await timed(deadline: queueDeadline(requested: nil)) { instance in
            try instance.session.run([tensor])
        }
        tensors?(tensor, outputs)
        let result = pipeline.result(prepared, outputs: outputs, inferenceMilliseconds: [ran.milliseconds], topK: topK)
        return ModelExecution(
            value: result, queued: queued,
            input: Self.duration(milliseconds: prepared.decodeMilliseconds + prepared.preprocessMilliseconds), compute: ran)
    }

    /// `body`'s value, how long it waited for an instance and how long it ran.
    private func timed<T: Sendable>(deadline: QueueDeadline?, _ body: @escaping @Sendable (ModelInstance) throws -> T)
        async throws -> (T, queued: Duration, ran: Duration)
    {
        let clock = ContinuousClock()
        let called = clock.now
        let (value, started, ended) = try await pool.run(deadline: deadline) { instance in
            let started = clock.now
            let value = try body(instance)
            return (value, started, clock.now)
        }
        return (value, started - called, ended - started)
    }

    private static func duration(milliseconds: Double) -> Duration { .nanoseconds(Int64((milliseconds * 1e6).rounded())) }
}

extension ModelRepository {
    /// Checks `request` against `model`, runs it and answers it, recording its metrics (and the
    /// core points of its `trace`: request start and end, queue, compute, tensors).
    public func infer(_ request: InferenceRequest, on model: ServedModel) async throws -> InferenceResponse {
        try await infer(request, on: model, trace: nil)
    }

    package func infer(_ request: InferenceRequest, on model: ServedModel, trace: RequestTrace?) async throws -> InferenceResponse {
        trace?.stamp("REQUEST_START")
        let prepared = try model.prepare(request, sharedMemory: sharedMemory)
        let outputs = try await execute(
            prepared.inputs, on: model, items: prepared.items, input: prepared.imageInput, timeout: request.timeout,
            priority: request.priority, trace: trace)
        let response = try model.response(for: prepared, results: outputs)
        trace?.stamp("REQUEST_END")
        return response
    }

    /// Runs tensors already checked against `model` (in its input order), recording the metrics:
    /// for adapters whose wire format carries tensors another way (Seldon's `ndarray`).
    public func run(_ inputs: [Tensor], on model: ServedModel) async throws -> [Tensor] {
        try await run(inputs, on: model, trace: nil)
    }

    package func run(_ inputs: [Tensor], on model: ServedModel, trace: RequestTrace?) async throws -> [Tensor] {
        try model.checkBatch(inputs)
        trace?.stamp("REQUEST_START")
        let outputs = try await execute(inputs, on: model, items: inputs.first?.shape.first ?? 1, trace: trace)
        trace?.stamp("REQUEST_END")
        return outputs
    }

    /// The run of checked `inputs` (`items` of them for the metrics; `input`: the time their images took to
    /// decode), with the queue, compute and tensor points of `trace`.
    /// `timeout`: the request's own queue timeout parameter (microseconds), under the model's queue
    /// policy; `priority`: its priority parameter, under the model's priority levels.
    private func execute(
        _ inputs: [Tensor], on model: ServedModel, items: Int, input: Duration? = nil, timeout: Int? = nil, priority: Int? = nil,
        trace: RequestTrace?
    ) async throws -> [Tensor] {
        trace?.record("TENSOR_QUEUE_INPUT", names: model.info.inputs.map(\.name), tensors: inputs)
        let queued = trace.map { _ in RequestTrace.now() }
        let level = model.level(priority: priority)
        var execution = try await model.infer(inputs, deadline: model.queueDeadline(requested: timeout, level: level), level: level)
        execution.input = input
        metrics.record(execution, on: model, items: items)
        if let trace, let queued { Self.stamp(execution, queuedAt: queued, in: trace) }
        trace?.record("TENSOR_BACKEND_OUTPUT", names: model.info.outputs.map(\.name), tensors: execution.value)
        return execution.value
    }

    /// Classifies `upload` with `model`'s image pipeline, recording its metrics.
    public func classify(_ upload: ImageUpload, topK: Int, on model: ServedModel) async throws -> ClassificationResult {
        try await classify(upload, topK: topK, on: model, trace: nil)
    }

    package func classify(_ upload: ImageUpload, topK: Int, on model: ServedModel, trace: RequestTrace?) async throws -> ClassificationResult {
        trace?.stamp("REQUEST_START")
        let started = trace.map { _ in RequestTrace.now() }
        let keep: (@Sendable (Tensor, [Tensor]) -> Void)? = trace.flatMap { trace in
            guard trace.keepsTensors else { return nil }
            return { input, outputs in
                // The image input after decode and preprocessing, as the instance got it; the outputs before top-k.
                trace.record("TENSOR_QUEUE_INPUT", names: model.info.inputs.prefix(1).map(\.name), tensors: [input])
                trace.record("TENSOR_BACKEND_OUTPUT", names: model.info.outputs.map(\.name), tensors: outputs)
            }
        }
        let execution = try await model.classify(upload, topK: topK, tensors: keep)
        metrics.record(execution, on: model, items: 1)
        if let trace, let started {
            // Decode and preprocessing come first, on the request's task; then the wait and the run.
            Self.stamp(execution, queuedAt: RequestTrace.after(started, execution.input ?? .zero), in: trace)
        }
        trace?.stamp("REQUEST_END")
        return execution.value
    }

    /// The queue and compute points of `execution`, from when it was queued and how long each part took.
    /// Inputs are bound and outputs read inside the session run: input end is the compute start, output start its end.
    private static func stamp<Value>(_ execution: ModelExecution<Value>, queuedAt queued: UInt64, in trace: RequestTrace) {
        let computeStart = RequestTrace.after(queued, execution.queued)
        let computeEnd = RequestTrace.after(computeStart, execution.compute)
        trace.stamp("QUEUE_START", at: queued)
        trace.stamp("COMPUTE_START", at: computeStart)
        trace.stamp("COMPUTE_INPUT_END", at: computeStart)
        trace.stamp("COMPUTE_OUTPUT_START", at: computeEnd)
        trace.stamp("COMPUTE_END", at: computeEnd)
    }
}
