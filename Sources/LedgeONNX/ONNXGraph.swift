#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Which graph an ``ONNXSession`` hands ONNX Runtime, and whether the runtime optimizes it.
///
/// Graph optimization (constant folding, fusions, the CPU layout transforms) is
/// most of a session's creation time for a small model. ONNX Runtime can write
/// the graph it optimized to a file; loading that file with optimization off
/// gives the same session sooner. The file may hold kernels chosen for this
/// CPU, so it is only valid for the same runtime on the same kind of CPU
/// (``ONNXGraphCache`` in LedgeEngine keys it that way).
public enum ONNXGraph: Sendable {
    /// The model's own graph, optimized at every level.
    case optimize
    /// As ``optimize``, and the runtime writes the optimized graph to `path`.
    case optimizeSaving(to: String)
    /// A graph the runtime optimized and saved earlier (``optimizeSaving(to:)``)
    /// for this model, runtime and CPU: loaded as it is, optimization off.
    case optimized(Data)
}

/// The file an optimized graph was read from (the graph's bytes start at its offset 0) and the
/// graph's SHA-256: what lets the sessions of one model share the graph's weights (``ONNXWeightShare``).
public struct ONNXGraphFile: Sendable, Hashable {
    public var path: String
    public var digest: String

    public init(path: String, digest: String) {
        self.path = path
        self.digest = digest
    }
}
