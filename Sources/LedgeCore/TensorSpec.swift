/// Affine quantization of a tensor: `real = scale * (q - zeroPoint)`.
///
/// Per-tensor quantization has one scale and one zero point; per-channel
/// quantization has one of each per index of ``axis``.
public struct Quantization: Sendable, Hashable, Codable {
    public var scales: [Float]
    public var zeroPoints: [Int64]
    /// The quantized dimension for per-channel quantization, `nil` for per-tensor.
    public var axis: Int?

    public init(scale: Float, zeroPoint: Int64) {
        self.scales = [scale]
        self.zeroPoints = [zeroPoint]
        self.axis = nil
    }

    public init(scales: [Float], zeroPoints: [Int64], axis: Int?) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.axis = axis
    }

    /// The scale of per-tensor quantization (the first scale otherwise).
    public var scale: Float { scales.first ?? 1 }
    /// The zero point of per-tensor quantization (the first otherwise).
    public var zeroPoint: Int64 { zeroPoints.first ?? 0 }
}

/// Name, element type, shape and quantization of a model input or output.
public struct TensorSpec: Sendable, Hashable {
    public var name: String
    public var dtype: DType
    /// The shape, with -1 for a dynamic dimension.
    public var shape: [Int]
    public var quantization: Quantization?

    public init(name: String, dtype: DType, shape: [Int], quantization: Quantization? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.quantization = quantization
    }

    /// Whether any dimension is dynamic.
    public var isDynamic: Bool { shape.contains { $0 < 0 } }

    /// The shape as text: `[1, 224, 224, 3]`, with -1 for dynamic dimensions.
    public var shapeDescription: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    /// Whether a concrete shape fits this spec (same rank; equal where this spec is fixed).
    public func accepts(shape other: [Int]) -> Bool {
        guard other.count == shape.count else { return false }
        return zip(shape, other).allSatisfy { $0 < 0 || $0 == $1 }
    }
}
