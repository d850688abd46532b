/// What `ledge quantize` did and what it cost: sizes, what changed in the graph, how closely
/// the int8 model follows the float one, and both latencies from the same run.
public struct QuantizeReport: Codable, Sendable {
    /// How the float and the int8 model compare on the validation inputs (first output).
    public struct Agreement: Codable, Sendable {
        public var inputs: Int
        /// Percent of inputs (batch rows) whose top-1 class is the same.
        public var top1_percent: Double
        public var mean_abs_diff: Double
        public var max_abs_diff: Double
        /// Where the inputs came from (a folder, or "random" when none was given).
        public var source: String
    }

    /// p50 of `session.run` (ms), measured by the bench runner, one after the other.
    public struct Latency: Codable, Sendable {
        public var runs: Int
        public var threads: Int
        public var float_p50_ms: Double
        public var int8_p50_ms: Double
    }

    public var model: String
    public var output: String
    /// `static` (QDQ, calibrated) or `dynamic` (weights only).
    public var mode: String
    /// Calibration method and input count (static).
    public var method: String?
    public var calibration_inputs: Int
    /// The largest magnitude of a quantized weight: 127, or 64 with a reduced range (``WeightRange``).
    public var weight_limit: Int
    /// This machine is x86 with AVX2 but no VNNI, whose int8 kernels may saturate on full-range
    /// weights: the agreement measured here may be lower than on the device (``WeightRange/reduced``).
    public var cpu_without_vnni: Bool
    public var size_before: Int
    public var size_after: Int
    public var constants_folded: Int
    /// The opset the model was raised from, when it was.
    public var opset_raised_from: Int?
    public var batch_norms_folded: Int
    /// `Conv → Add` pairs made one Conv with a bias.
    public var biases_folded: Int
    public var activations_folded: Int
    /// Nodes computed in integers, as `name (OpType)`.
    public var quantized_nodes: [String]
    /// Nodes left in float.
    public var float_nodes: [String]
    public var agreement: Agreement?
    public var latency: Latency?
    public var quantize_ms: Double
    /// A Hugging Face export's `config.json` and `preprocessor_config.json` written beside the output.
    public var config_files_copied: [String] = []

    /// Quantized node counts by operator type.
    public var quantizedByOperator: [String: Int] {
        var counts: [String: Int] = [:]
        for node in quantized_nodes {
            if let open = node.lastIndex(of: "(") { counts[String(node[node.index(after: open)...].dropLast()), default: 0] += 1 }
        }
        return counts
    }
}
