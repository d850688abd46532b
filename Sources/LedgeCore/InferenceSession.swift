#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A loaded model ready to run: the contract every runtime backend fulfils.
///
/// A session is safe to share between threads; runs on one session are
/// serialized (a session is never used by two threads at once). Run several
/// sessions of a model for parallelism.
public protocol InferenceSession: AnyObject, Sendable {
    /// What the model is: tensors, metadata, runtime.
    var info: ModelInfo { get }

    /// Runs the model on one tensor per input, in ``ModelInfo/inputs`` order, and
    /// returns one tensor per output in ``ModelInfo/outputs`` order.
    ///
    /// Dynamic dimensions take their size from the given tensors. Throws
    /// ``LedgeError`` naming the input when a dtype or shape does not fit.
    func run(_ inputs: [Tensor]) throws -> [Tensor]

    /// Checks `inputs` as ``run(_:)`` takes them, throwing an error that names the input at fault
    /// (by default against ``info``'s inputs; a session that reshapes its inputs checks them reshaped).
    func validate(_ inputs: [Tensor]) throws

    /// The execution provider the session runs on, by Ledge's short name
    /// (`cpu`, `cuda`, …); `nil` when the backend has no such choice.
    var executionProvider: String? { get }

    /// Stops a run under way as soon as the runtime can, failing it with ``LedgeError/Code/busy``
    /// and `reason`: for a server whose exit timeout has passed (its `SessionPool` refuses later
    /// runs). ONNX Runtime stops at its next kernel; LiteRT's runs end as they would (its
    /// cancellation function cannot stop a graph XNNPACK runs whole, and prints TFLite's error
    /// lines straight to standard error when it cancels).
    func interrupt(reason: String)
}

/// Options every backend understands.
public struct SessionOptions: Sendable, Hashable {
    /// Intra-op threads; `nil` is ``defaultThreads``.
    public var threads: Int?
    /// Execution provider (ONNX Runtime): `cpu`, `cuda`, …; `nil` is CPU.
    public var provider: String?
    /// ONNX Runtime: take working memory (activations, the memory pattern) from one arena that
    /// every session so opened in the process shares, instead of an arena per session: for the
    /// instances of a served model, of which only as many run at once as there are cores. The
    /// shared arena keeps its high-water mark until the process ends.
    public var sharesMemory: Bool
    /// ONNX Runtime's other settings (a config.pbtxt's: ``ModelConfig/onnxRuntimeSettings``);
    /// LiteRT has none of them.
    public var onnxRuntime: ONNXRuntimeSettings

    public init(threads: Int? = nil, provider: String? = nil, sharesMemory: Bool = false, onnxRuntime: ONNXRuntimeSettings = ONNXRuntimeSettings()) {
        self.threads = threads
        self.provider = provider
        self.sharesMemory = sharesMemory
        self.onnxRuntime = onnxRuntime
    }

    /// The intra-op thread count when none is asked for: one per available core, at most 4.
    public static var defaultThreads: Int { min(ProcessInfo.processInfo.activeProcessorCount, 4) }
}

extension InferenceSession {
    /// `nil`: the backend has no choice of execution provider.
    public var executionProvider: String? { nil }

    /// Nothing to stop: a backend that cannot interrupt lets its runs finish.
    public func interrupt(reason: String) {}

    /// Checks inputs against the model's specs, throwing an error that names the input at fault.
    public func validate(_ inputs: [Tensor]) throws {
        let specs = info.inputs
        guard inputs.count == specs.count else {
            throw LedgeError.invalidInput("model expects \(specs.count) input(s), got \(inputs.count)")
        }
        for (tensor, spec) in zip(inputs, specs) {
            guard tensor.dtype == spec.dtype else {
                throw LedgeError.invalidInput(
                    "input '\(spec.name)': expected dtype \(spec.dtype.rawValue), got \(tensor.dtype.rawValue)")
            }
            guard spec.accepts(shape: tensor.shape) else {
                throw LedgeError.invalidInput(
                    "input '\(spec.name)': expected shape \(spec.shapeDescription), got \(TensorSpec(name: "", dtype: tensor.dtype, shape: tensor.shape).shapeDescription)"
                )
            }
        }
    }
}
