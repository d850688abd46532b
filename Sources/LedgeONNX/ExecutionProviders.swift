internal import CONNXRuntime
internal import LedgeCore
internal import Logging

/// An execution provider as Ledge names it (`cpu`, `cuda`, …) and as ONNX
/// Runtime does (`CPUExecutionProvider`, …).
public struct ONNXExecutionProvider: Sendable, Hashable {
    /// Ledge's short, lowercase name: `cpu`, `cuda`, `tensorrt`, ….
    public let name: String
    /// ONNX Runtime's name, as `GetAvailableProviders` reports it.
    public let runtimeName: String
    /// The name `SessionOptionsAppendExecutionProvider` takes, when it takes this provider.
    let appendName: String?

    /// The providers Ledge knows by name.
    public static let known: [ONNXExecutionProvider] = [
        .init(name: "cpu", runtimeName: "CPUExecutionProvider", appendName: nil),
        .init(name: "cuda", runtimeName: "CUDAExecutionProvider", appendName: nil),
        .init(name: "tensorrt", runtimeName: "TensorrtExecutionProvider", appendName: "TensorRT"),
        .init(name: "openvino", runtimeName: "OpenVINOExecutionProvider", appendName: "OpenVINO"),
        .init(name: "xnnpack", runtimeName: "XnnpackExecutionProvider", appendName: "XNNPACK"),
        .init(name: "coreml", runtimeName: "CoreMLExecutionProvider", appendName: "CoreML"),
        .init(name: "qnn", runtimeName: "QNNExecutionProvider", appendName: "QNN"),
        .init(name: "snpe", runtimeName: "SNPEExecutionProvider", appendName: "SNPE"),
        .init(name: "dml", runtimeName: "DmlExecutionProvider", appendName: "DML"),
        .init(name: "rocm", runtimeName: "ROCMExecutionProvider", appendName: "ROCM"),
        .init(name: "migraphx", runtimeName: "MIGraphXExecutionProvider", appendName: "MIGraphX"),
        .init(name: "webgpu", runtimeName: "WebGpuExecutionProvider", appendName: "WebGPU"),
        .init(name: "vitisai", runtimeName: "VitisAIExecutionProvider", appendName: "VitisAI"),
        .init(name: "azure", runtimeName: "AzureExecutionProvider", appendName: "AZURE"),
        .init(name: "nnapi", runtimeName: "NnapiExecutionProvider", appendName: "NNAPI"),
        .init(name: "acl", runtimeName: "ACLExecutionProvider", appendName: "ACL"),
        .init(name: "armnn", runtimeName: "ArmNNExecutionProvider", appendName: "ArmNN"),
        .init(name: "dnnl", runtimeName: "DnnlExecutionProvider", appendName: "DNNL"),
        .init(name: "cann", runtimeName: "CANNExecutionProvider", appendName: "CANN"),
    ]

    /// The provider called `name`: a short name or ONNX Runtime's name, any case.
    public static func named(_ name: String) -> ONNXExecutionProvider? {
        let key = name.lowercased()
        return known.first { $0.name == key || $0.runtimeName.lowercased() == key }
    }
}

extension ONNXRuntime {
    /// Adds the provider `requested` names to `options`, or logs a warning and
    /// keeps CPU when this library lacks it or it fails to start. Returns the
    /// short name of the provider used.
    func appendProvider(_ requested: String?, to options: OpaquePointer, logger: Logger) -> String {
        guard let requested, !requested.isEmpty else { return "cpu" }
        let available = availableProviders.joined(separator: ", ")
        guard let provider = ONNXExecutionProvider.named(requested) else {
            logger.warning(
                "unknown execution provider '\(requested)'; this ONNX Runtime library has \(available); falling back to CPU")
            return "cpu"
        }
        if provider.name == "cpu" { return "cpu" }
        guard availableProviders.contains(provider.runtimeName) else {
            logger.warning(
                "execution provider '\(provider.name)' (\(provider.runtimeName)) is not in this ONNX Runtime library, which has \(available); falling back to CPU"
            )
            return "cpu"
        }
        do throws(ORTFailure) {
            if provider.name == "cuda" {
                var cudaOptions: OpaquePointer?
                try api.check(api.raw.create_cuda_options(&cudaOptions))
                defer { api.raw.release_cuda_options(cudaOptions) }
                try api.check(api.raw.append_provider_cuda_v2(options, cudaOptions))
            } else if let appendName = provider.appendName {
                try api.check(api.raw.append_provider(options, appendName, nil, nil, 0))
            }
            return provider.name
        } catch {
            logger.warning(
                "execution provider '\(provider.name)' (\(provider.runtimeName)) failed to start: \(error.message); falling back to CPU")
            return "cpu"
        }
    }
}
