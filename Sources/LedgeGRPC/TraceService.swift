internal import GRPCCore
internal import LedgeCore
internal import LedgeServing
internal import SwiftProtobuf

/// Triton's trace extension over gRPC, over the same settings as the HTTP routes.
extension InferenceService {
    func traceSetting(
        request: ServerRequest<Inference_TraceSettingRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_TraceSettingResponse> {
        let model = request.message.modelName
        return try await calls.unary(request, context, endpoint: .api(.trace, reach: model.isEmpty ? .everyModel : .model), naming: model) {
            message, _ in
            let name = message.modelName.isEmpty ? nil : try repository.model(named: message.modelName, version: nil).name
            // tritonclient sends a setting with no values to clear it.
            let settings =
                message.settings.isEmpty
                ? repository.tracing.settings(model: name)
                : try repository.tracing.update(model: name, message.settings.mapValues { $0.value.isEmpty ? nil : $0.value })
            var response = Inference_TraceSettingResponse()
            response.settings = settings.mapValues { values in .with { $0.value = values } }
            return response
        }
    }
}
