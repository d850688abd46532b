/// Whether a TFLite model can run on a Coral Edge TPU, judged as the Edge TPU compiler judges it,
/// without the compiler: every tensor 8-bit quantized (else the compiler's first complaint,
/// "Model not quantized"), sizes fixed at compile time, and every operator on Coral's documented
/// list of supported operations. The compiler maps operators in execution order up to the first
/// one it cannot map; that one and everything after it run on the CPU.
///
/// The list is Coral's "Supported operations" table by name; the table gives no operator
/// versions, so versions are reported, not judged.
public struct EdgeTPUReadiness: Sendable {
    public enum Verdict: String, Sendable {
        /// Every operator maps to the Edge TPU.
        case ready
        /// Quantized, but the Edge TPU runs only the operators before ``firstFallback``.
        case partial
        /// Float tensors: the compiler refuses the model.
        case notQuantized = "not quantized"
    }

    /// An operator in execution order.
    public struct Operator: Sendable, Hashable {
        public var index: Int
        public var name: String
        public var version: Int
    }

    public var verdict: Verdict
    /// Operators of the main subgraph, and how many run on the Edge TPU before the first fallback.
    public var operatorCount: Int
    public var onEdgeTPU: Int
    /// The first operator the compiler cannot map (it and all after it run on the CPU).
    public var firstFallback: Operator?
    /// Distinct operators not on the list, with their versions (`NAME v2`), in first-seen order.
    public var unsupported: [String]
    /// Float tensors (the first few names) and tensors whose size is only known at run time.
    public var floatTensors: [String]
    public var dynamicTensors: [String]

    /// TFLite builtin operators on Coral's list of operations the Edge TPU supports.
    public static let supportedOperators: Set<String> = [
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "EXPAND_DIMS", "FULLY_CONNECTED",
        "L2_NORMALIZATION", "LOGISTIC", "LSTM", "MAXIMUM", "MAX_POOL_2D", "MEAN", "MINIMUM", "MUL", "PACK", "PAD", "PRELU",
        "QUANTIZE", "REDUCE_MAX", "REDUCE_MIN", "RELU", "RELU6", "RELU_N1_TO_1", "RESHAPE", "RESIZE_BILINEAR",
        "RESIZE_NEAREST_NEIGHBOR", "RSQRT", "SLICE", "SOFTMAX", "SPACE_TO_DEPTH", "SPLIT", "SQUARED_DIFFERENCE", "SQUEEZE",
        "STRIDED_SLICE", "SUB", "SUM", "TANH", "TRANSPOSE", "TRANSPOSE_CONV",
    ]

    /// Checks the main subgraph of `model`.
    public init(model: TFLiteModel) {
        let subgraph = model.subgraphs.first
        let tensors = subgraph?.tensors ?? []
        floatTensors = tensors.filter { $0.type == 0 || $0.type == 1 }.map(\.name)
        dynamicTensors = tensors.filter { $0.shapeSignature.contains(-1) }.map(\.name)
        let operators = (subgraph?.operatorCodeIndices ?? []).enumerated().map { index, code in
            let entry = model.operatorCodes[code]
            return Operator(index: index, name: entry.name, version: Int(entry.version))
        }
        operatorCount = operators.count
        var unsupported: [String] = []
        for op in operators where !Self.supportedOperators.contains(op.name) {
            let label = "\(op.name) v\(op.version)"
            if !unsupported.contains(label) { unsupported.append(label) }
        }
        self.unsupported = unsupported
        firstFallback = operators.first { !Self.supportedOperators.contains($0.name) }
        if !floatTensors.isEmpty || !dynamicTensors.isEmpty {
            onEdgeTPU = 0
            verdict = floatTensors.isEmpty ? .partial : .notQuantized
        } else {
            onEdgeTPU = firstFallback?.index ?? operators.count
            verdict = firstFallback == nil ? .ready : .partial
        }
    }

    /// The report, one finding a line: the verdict first, as the compiler would put it.
    public var lines: [String] {
        var lines: [String] = []
        switch verdict {
        case .ready:
            lines.append("edgetpu: ready: all \(operatorCount) operators are on the Edge TPU's supported list and every tensor is 8-bit")
        case .notQuantized:
            lines.append(
                "edgetpu: Model not quantized: \(floatTensors.count) float tensors (first: \(floatTensors.prefix(3).joined(separator: ", "))); the Edge TPU compiler needs full 8-bit quantization"
            )
        case .partial:
            if !dynamicTensors.isEmpty {
                lines.append(
                    "edgetpu: not ready: \(dynamicTensors.count) tensors have sizes known only at run time (first: \(dynamicTensors.prefix(3).joined(separator: ", "))); the compiler needs fixed sizes"
                )
            } else if let first = firstFallback {
                lines.append(
                    "edgetpu: partial: \(onEdgeTPU) of \(operatorCount) operators run on the Edge TPU; from operator #\(first.index) \(first.name) v\(first.version) on, everything runs on the CPU"
                )
            }
        }
        if !unsupported.isEmpty { lines.append("edgetpu: not on the supported list: \(unsupported.joined(separator: ", "))") }
        return lines
    }
}
