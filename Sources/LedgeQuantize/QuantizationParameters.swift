#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import CLedgeQuantize

/// The element type of quantized activations.
public enum ActivationType: String, Sendable, CaseIterable {
    case uint8, int8

    var levels: (min: Float, max: Float) { self == .uint8 ? (0, 255) : (-128, 127) }
}

/// The levels quantized weights use: int8, symmetric, zero point 0.
public enum WeightRange: String, Sendable, CaseIterable {
    /// ±127 (ONNX Runtime's symmetric int8 range).
    case full
    /// ±64, seven bits (ONNX Runtime's `reduce_range`): on x86 without VNNI (AVX2, AVX-512F),
    /// ONNX Runtime's uint8 × int8 kernels add pairs of products in 16 bits (`vpmaddubsw`), which
    /// saturates with full-range weights; a bit less of precision keeps those sums exact.
    case reduced

    /// The largest magnitude of a quantized weight.
    var limit: Int { self == .full ? 127 : 64 }
}

/// A scale and zero point, as ONNX Runtime's quantizer computes them: the range is widened to
/// hold 0 (so that zero padding and ReLU's floor are exact), activations are asymmetric over
/// all levels, weights symmetric over ±127 (or ±64, ``WeightRange/reduced``) with zero point 0.
struct QuantizationParameters {
    var scale: Float
    var zeroPoint: Int

    /// Asymmetric parameters for `range` on `type`'s levels.
    init(range: TensorRange, type: ActivationType) {
        let low = Swift.min(range.min, 0), high = Swift.max(range.max, 0)
        let levels = type.levels
        var scale = (high - low) / (levels.max - levels.min)
        if !(scale >= Float.leastNormalMagnitude) { scale = 1 }
        self.scale = scale
        self.zeroPoint = Int((levels.min - low / scale).rounded().clamped(levels.min, levels.max))
    }

    /// Symmetric int8 parameters for values whose largest magnitude is `magnitude`, on `range`.
    init(symmetricMagnitude magnitude: Float, range: WeightRange) {
        let scale = magnitude / Float(range.limit)
        self.scale = scale >= Float.leastNormalMagnitude ? scale : 1
        self.zeroPoint = 0
    }

    /// `values` as int8 on `range`, with one symmetric scale per channel: element i is in channel
    /// (i / inner) % channels.
    static func symmetricWeights(_ values: [Float], channels: Int, inner: Int, range: WeightRange) -> (integers: [Int8], scales: [Float]) {
        var magnitudes = [Float](repeating: 0, count: channels)
        ledge_q_channel_magnitudes(values, values.count, channels, inner, &magnitudes)
        let scales = magnitudes.map { QuantizationParameters(symmetricMagnitude: $0, range: range).scale }
        let integers = [Int8](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            ledge_q_quantize_int8(values, values.count, scales, channels, inner, Int32(range.limit), buffer.baseAddress)
            initialized = values.count
        }
        return (integers, scales)
    }

    /// `value` on the integer grid, saturated to `low...high`.
    func quantize(_ value: Float, low: Float, high: Float) -> Float {
        (value / scale).rounded(.toNearestOrEven).advanced(by: Float(zeroPoint)).clamped(low, high)
    }
}

extension Float {
    func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(Swift.max(self, low), high) }
}
