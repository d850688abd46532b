/// Where one classification's time went, in whole microseconds: the
/// `timing_us` object of `ledge classify --json` and of the server's classify
/// response (which adds ``total``).
public struct ClassificationTiming: Encodable, Sendable, Hashable {
    /// Decoding the image.
    public var decode: Int
    /// Resizing, packing and normalizing it into the input tensor.
    public var preprocess: Int
    /// The first session run (it includes warm-up when it is the session's first).
    public var infer: Int
    /// Dequantizing and top-k.
    public var postprocess: Int
    /// The whole request, when a server answered it; left out otherwise.
    public var total: Int?

    /// The timing of `result`, with the request's `total` when there is one.
    public init(_ result: ClassificationResult, total: Duration? = nil) {
        decode = Self.microseconds(result.decodeMilliseconds)
        preprocess = Self.microseconds(result.preprocessMilliseconds)
        infer = Self.microseconds(result.inferenceMilliseconds.first ?? 0)
        postprocess = Self.microseconds(result.postprocessMilliseconds)
        self.total = total.map { Self.microseconds($0.milliseconds) }
    }

    /// `milliseconds` as whole microseconds, rounded.
    public static func microseconds(_ milliseconds: Double) -> Int { Int((milliseconds * 1000).rounded()) }
}
