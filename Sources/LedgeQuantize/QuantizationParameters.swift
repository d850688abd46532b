#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The element type of quantized activations.
public enum ActivationType: String, Sendable, CaseIterable {
    case uint8, int8

    var levels: (min: Float, max: Float) { self == .uint8 ? (0, 255) : (-128, 127) }
}

/// A scale and zero point, as ONNX Runtime's quantizer computes them: the range is widened to
/// hold 0 (so that zero padding and ReLU's floor are exact), activations are asymmetric over
/// all levels, weights symmetric over ±127 with zero point 0.
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

    /// Symmetric int8 parameters for values whose largest magnitude is `magnitude`.
    init(symmetricMagnitude magnitude: Float) {
        let scale = magnitude / 127
        self.scale = scale >= Float.leastNormalMagnitude ? scale : 1
        self.zeroPoint = 0
    }

    /// `value` on the integer grid, saturated to `low...high`.
    func quantize(_ value: Float, low: Float, high: Float) -> Float {
        (value / scale).rounded(.toNearestOrEven).advanced(by: Float(zeroPoint)).clamped(low, high)
    }
}

extension Float {
    func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(Swift.max(self, low), high) }
}
