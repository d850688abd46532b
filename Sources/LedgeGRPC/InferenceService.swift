#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import GRPCCore
internal import LedgeCore
internal import LedgeServing
internal import Logging
internal import Metrics

/// `inference.GRPCInferenceService` over the serving core: the same models, pool,
/// batcher, metrics and error texts as the HTTP routes.
struct InferenceService: Inference_GRPCInferenceService.ServiceProtocol {
    let repository: ModelRepository
    let version: String
    let calls: CallObservation
    /// The server's log level (LogSettings); `nil`: that RPC is UNIMPLEMENTED.
    var logSettings: LogSettings? = nil
    /// The exit timeout: a stream still open then ends UNAVAILABLE with its reason. (A unary call
    /// still open is a model run, which the repository interrupts with that reason, or a wait for one.)
    var deadline = ExitDeadline()

    func serverLive(
        request: ServerRequest<Inference_ServerLiveRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerLiveResponse> {
        try await calls.unary(request, context, endpoint: .health) { _, _ in
            var response = Inference_ServerLiveResponse()
            response.live = true
            return response
        }
    }

    func serverReady(
        request: ServerRequest<Inference_ServerReadyRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerReadyResponse> {
        try await calls.unary(request, context, endpoint: .health) { _, _ in
            var response = Inference_ServerReadyResponse()
            response.ready = repository.isReady
            return response
        }
    }

    func modelReady(
        request: ServerRequest<Inference_ModelReadyRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelReadyResponse> {
        try await calls.unary(request, context, endpoint: .modelHealth, naming: request.message.name) { message, _ in
            try ModelRepository.validate(name: message.name)
            var response = Inference_ModelReadyResponse()
            response.ready = (try? model(message.name, message.version)) != nil
            return response
        }
    }

    func serverMetadata(
        request: ServerRequest<Inference_ServerMetadataRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerMetadataResponse> {
        try await calls.unary(request, context, endpoint: .api(.metadata, reach: .server)) { _, _ in
            var response = Inference_ServerMetadataResponse()
            response.name = "ledge"
            response.version = version
            response.extensions = ProtocolExtensions.names(sharedMemory: repository.sharedMemory.allowed)
            return response
        }
    }

    func modelMetadata(
        request: ServerRequest<Inference_ModelMetadataRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelMetadataResponse> {
        try await calls.unary(request, context, endpoint: .api(.metadata, reach: .model), naming: request.message.name) { message, _ in
            let served = try model(message.name, message.version)
            let versions = message.version.isEmpty ? repository.versions(of: served.name).map(\.version) : [served.version]
            return ModelMessages.metadata(served, versions: versions)
        }
    }

    func modelConfig(
        request: ServerRequest<Inference_ModelConfigRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelConfigResponse> {
        try await calls.unary(request, context, endpoint: .api(.metadata, reach: .model), naming: request.message.name) { message, _ in
            var response = Inference_ModelConfigResponse()
            response.config = ModelMessages.config(try model(message.name, message.version).config)
            return response
        }
    }

    func modelStatistics(
        request: ServerRequest<Inference_ModelStatisticsRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelStatisticsResponse> {
        try await calls.unary(
            request, context, endpoint: .api(.statistics, reach: request.message.name.isEmpty ? .everyModel : .model),
            naming: request.message.name
        ) { message, _ in
            var response = Inference_ModelStatisticsResponse()
            response.modelStats = try repository.statistics(name: message.name, version: message.version.isEmpty ? nil : message.version)
                .map(ModelMessages.statistics)
            return response
        }
    }

    func logSettings(
        request: ServerRequest<Inference_LogSettingsRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_LogSettingsResponse> {
        try await calls.unary(request, context, endpoint: .api(.logging, reach: .server)) { message, logger in
            guard let logSettings else { throw RPCError(code: .unimplemented, message: "log settings are not served here") }
            if !message.settings.isEmpty {
                let changes = message.settings.mapValues { value -> LogSettings.Value in
                    switch value.parameterChoice {
                    case .boolParam(let flag): .bool(flag)
                    case .uint32Param(let number): .uint32(number)
                    case .stringParam(let text): .string(text)
                    case nil: .string("")
                    }
                }
                let level = try logSettings.update(changes)
                logger.log(level: max(.notice, level), "log level set to \(level) (LogSettings)")  // shown at the new level too
            }
            var response = Inference_LogSettingsResponse()
            response.settings = logSettings.settings.mapValues { value in
                var setting = Inference_LogSettingsResponse.SettingValue()
                switch value {
                case .bool(let flag): setting.boolParam = flag
                case .uint32(let number): setting.uint32Param = number
                case .string(let text): setting.stringParam = text
                }
                return setting
            }
            return response
        }
    }

    func modelInfer(
        request: ServerRequest<Inference_ModelInferRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelInferResponse> {
        try await calls.unary(request, context, endpoint: .api(.inference, reach: .model), naming: request.message.modelName, model: Self.named) {
            message, _ in
            let trace = trace(message, request.metadata)
            trace?.stamp("GRPC_WAITREAD_START")  // the message arrived whole: read before this handler ran
            trace?.stamp("GRPC_WAITREAD_END")
            do {
                let response = try await infer(message, trace: trace)
                trace?.stamp("GRPC_SEND_START")  // grpc-swift sends the returned message: its end is not seen here
                trace?.stamp("GRPC_SEND_END")
                trace?.finish()
                return response
            } catch {
                trace?.finish()
                throw error
            }
        }
    }

    func modelStreamInfer(
        request: StreamingServerRequest<Inference_ModelInferRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Inference_ModelStreamInferResponse> {
        try calls.authorize(request.metadata, endpoint: .api(.inference, reach: .server))  // the token and scope; each message's model below
        let id = CallObservation.requestID(request.metadata)
        var logger = calls.logger
        logger[metadataKey: "request_id"] = .string(id)
        return StreamingServerResponse(metadata: ["x-request-id": .string(id)]) { [logger, deadline] writer in
            try await deadline.race { try await answer(request, writer: writer, context: context, logger: logger) }
        }
    }

    /// Answers each message of a ModelStreamInfer call, one at a time: responses go out in the order requests came.
    private func answer(
        _ request: StreamingServerRequest<Inference_ModelInferRequest>, writer: RPCWriter<Inference_ModelStreamInferResponse>,
        context: ServerContext, logger: Logger
    ) async throws -> Metadata {
        // When the wait for the next message began: read only while something may be traced.
        var waiting = repository.tracing.isActive ? RequestTrace.now() : 0
        for try await message in request.messages {
            let start = ContinuousClock.now
            let trace = trace(message, request.metadata)
            trace?.stamp("GRPC_WAITREAD_START", at: waiting > 0 ? waiting : RequestTrace.now())  // 0: tracing began meanwhile
            trace?.stamp("GRPC_WAITREAD_END")
            let named = Self.named(message)
            let counted = repository.metrics.model(named.name, version: named.version)
            counted?.inFlight.increment()
            var reply = Inference_ModelStreamInferResponse()
            var code: RPCError.Code?
            do {
                try calls.authorize(request.metadata, endpoint: .api(.inference, reach: .model), naming: message.modelName)
                reply.inferResponse = try await infer(message, trace: trace)
            } catch {
                let failure = GRPCStatus.error(error)
                code = failure.code
                reply.errorMessage = failure.message
                reply.inferResponse.modelName = message.modelName
                reply.inferResponse.modelVersion = message.modelVersion
                reply.inferResponse.id = message.id
            }
            // Triton's final-response flag, for a client that asked (tritonclient's
            // enable_empty_final_response): every answer here is its request's last.
            if case .boolParam(true)? = message.parameters["triton_enable_empty_final_response"]?.parameterChoice {
                var final = Inference_InferParameter()
                final.boolParam = true
                reply.inferResponse.parameters["triton_final_response"] = final
            }
            counted?.inFlight.decrement()
            calls.finish(context, logger: logger, model: named.name, counted: counted, code: code, start: start)
            trace?.stamp("GRPC_SEND_START")
            defer { trace?.finish() }
            try await writer.write(reply)
            trace?.stamp("GRPC_SEND_END")
            waiting = repository.tracing.isActive ? RequestTrace.now() : 0
        }
        return [:]
    }

    func repositoryIndex(
        request: ServerRequest<Inference_RepositoryIndexRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_RepositoryIndexResponse> {
        try await calls.unary(request, context, endpoint: .api(.modelRepository, reach: .everyModel)) { message, _ in
            var response = Inference_RepositoryIndexResponse()
            response.models = repository.index(readyOnly: message.ready).map { entry in
                var model = Inference_RepositoryIndexResponse.ModelIndex()
                model.name = entry.name
                model.version = entry.version ?? ""
                model.state = entry.state ?? ""
                model.reason = entry.reason ?? ""
                return model
            }
            return response
        }
    }

    func repositoryModelLoad(
        request: ServerRequest<Inference_RepositoryModelLoadRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_RepositoryModelLoadResponse> {
        try await calls.unary(request, context, endpoint: .api(.modelRepository, reach: .model), naming: request.message.modelName) { message, _ in
            try await repository.load(
                message.modelName, parameters: message.parameters,
                config: { parameter in
                    guard case .stringParam(let text) = parameter.parameterChoice else {
                        throw LedgeError.invalidInput(
                            "load parameter 'config' is not a string: expected the model's configuration as JSON in string_param")
                    }
                    return text
                },
                file: { key, parameter in
                    guard case .bytesParam(let bytes) = parameter.parameterChoice else {
                        throw LedgeError.invalidInput("load parameter '\(key)' is not bytes: expected the file's bytes in bytes_param")
                    }
                    return bytes
                })
            return Inference_RepositoryModelLoadResponse()
        }
    }

    func repositoryModelUnload(
        request: ServerRequest<Inference_RepositoryModelUnloadRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_RepositoryModelUnloadResponse> {
        try await calls.unary(request, context, endpoint: .api(.modelRepository, reach: .model), naming: request.message.modelName) { message, _ in
            try ModelRepository.refuseParameters(message.parameters.keys, action: "unload")
            try await repository.unload(message.modelName)
            return Inference_RepositoryModelUnloadResponse()
        }
    }

    /// Checks, runs and encodes one inference request.
    private func infer(_ message: Inference_ModelInferRequest, trace: RequestTrace?) async throws -> Inference_ModelInferResponse {
        let served = try model(message.modelName, message.modelVersion)
        let inference = try InferRequestCoding.request(message)
        return InferResponseCoding.message(try await repository.infer(inference, on: served, trace: trace))
    }

    /// A trace of this request when tracing samples it (a served model only); a `traceparent` in the
    /// call's metadata joins the caller's trace (OpenTelemetry mode).
    private func trace(_ message: Inference_ModelInferRequest, _ metadata: Metadata) -> RequestTrace? {
        guard repository.tracing.isActive, let served = try? model(message.modelName, message.modelVersion) else { return nil }
        return repository.tracing.start(
            model: served.name, version: served.version, requestID: message.id.isEmpty ? nil : message.id,
            traceparent: metadata[stringValues: "traceparent"].first(where: { _ in true }))
    }

    /// The model called `name` at `version` (its highest ready one when empty).
    private func model(_ name: String, _ version: String) throws -> ServedModel {
        try repository.model(named: name, version: version.isEmpty ? nil : version)
    }

    @Sendable private static func named(_ message: Inference_ModelInferRequest) -> (name: String, version: String?) {
        (message.modelName, message.modelVersion.isEmpty ? nil : message.modelVersion)
    }
}
