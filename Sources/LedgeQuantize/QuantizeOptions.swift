public import LedgeEngine

/// What `ledge quantize` is asked to do.
public struct QuantizeOptions: Sendable {
    /// Folder of calibration photos or `.npy` tensors (static quantization).
    public var calibration: String?
    /// Folder the report compares the float and the int8 model on; the calibration folder when `nil`.
    public var validation: String?
    public var method: CalibrationMethod
    /// For ``CalibrationMethod/percentile``: the upper percentile (its complement is the lower one).
    public var percentile: Double
    public var activationType: ActivationType
    /// The weights' levels: ±127, or ±64 for CPUs whose int8 kernels saturate (``WeightRange/reduced``).
    public var weightRange: WeightRange
    /// Node names and operator types left in float.
    public var exclude: [String]
    /// Weights only, activations quantized at run time (MatMul and Gemm), no calibration.
    public var dynamic: Bool
    /// Intra-op threads for calibration and the latency comparison.
    public var threads: Int?
    /// Runs of each model timed for the latency comparison (0: not measured).
    public var benchRuns: Int
    /// Labels, mean/std and input size, as `ledge classify` takes them.
    public var classifier: ClassifierOptions

    public init(
        calibration: String? = nil, validation: String? = nil, method: CalibrationMethod = .minmax, percentile: Double = 99.999,
        activationType: ActivationType = .uint8, weightRange: WeightRange = .full, exclude: [String] = [], dynamic: Bool = false, threads: Int? = nil,
        benchRuns: Int = 50, classifier: ClassifierOptions = ClassifierOptions()
    ) {
        self.calibration = calibration
        self.validation = validation
        self.method = method
        self.percentile = percentile
        self.activationType = activationType
        self.weightRange = weightRange
        self.exclude = exclude
        self.dynamic = dynamic
        self.threads = threads
        self.benchRuns = benchRuns
        self.classifier = classifier
    }
}
