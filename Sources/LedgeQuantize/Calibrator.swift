#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
package import LedgeCore
package import LedgeONNX
package import LedgeONNXModel
internal import CLedgeQuantize

/// How a tensor's calibration range is chosen from the values it took on the calibration inputs.
public enum CalibrationMethod: String, Sendable, CaseIterable {
    /// The smallest and largest value seen.
    case minmax
    /// The values between two percentiles (``QuantizeOptions/percentile`` and its complement).
    case percentile
    /// The threshold whose 128-level quantization loses the least information (KL divergence
    /// between the histogram and its quantized form, as TensorRT and ONNX Runtime choose it).
    case entropy
}

/// The range of values a tensor is quantized over.
package struct TensorRange: Sendable, Equatable {
    package var min: Float
    package var max: Float
}

/// Runs the float model over the calibration inputs with every tensor to quantize added as an
/// output, and turns what those tensors held into ranges. MinMax needs one pass; percentile and
/// entropy a second one that fills a histogram per tensor over the first pass's range.
package struct Calibrator {
    let session: ONNXSession
    let inputs: [[Tensor]]

    /// A session of `model` that outputs `tensors` too.
    package init(model: ONNXModelFile, tensors: [String], inputs: [[Tensor]], runtime: ONNXRuntime, threads: Int) throws {
        var augmented = model
        let existing = Set(model.model.graph.output.map(\.name))
        for name in tensors where !existing.contains(name) {
            var output = Onnx_ValueInfoProto()
            output.name = name
            augmented.model.graph.output.append(output)
        }
        let data = Data(try augmented.serialized())
        session = try ONNXSession(
            file: ModelFile(onnx: data, path: model.path), options: SessionOptions(threads: threads), runtime: runtime)
        self.inputs = inputs
    }

    /// The range of every output of the session (the model's own outputs and the added tensors).
    package func ranges(method: CalibrationMethod, percentile: Double) throws -> [String: TensorRange] {
        let names = session.info.outputs.map(\.name)
        var lows = [Float](repeating: .infinity, count: names.count)
        var highs = [Float](repeating: -.infinity, count: names.count)
        try forEachOutput { index, values in
            ledge_q_minmax(values.baseAddress, values.count, &lows[index], &highs[index])
        }
        var ranges: [String: TensorRange] = [:]
        if method == .minmax {
            for (index, name) in names.enumerated() where lows[index] <= highs[index] {
                ranges[name] = TensorRange(min: lows[index], max: highs[index])
            }
            return ranges
        }
        var histograms = names.indices.map { Histogram(low: lows[$0], high: highs[$0], absolute: method == .entropy) }
        try forEachOutput { index, values in histograms[index].add(values) }
        for (index, name) in names.enumerated() where lows[index] <= highs[index] {
            let histogram = histograms[index]
            ranges[name] =
                method == .percentile
                ? histogram.percentileRange(percentile) : histogram.entropyRange(low: lows[index], high: highs[index])
        }
        return ranges
    }

    private func forEachOutput(_ body: (Int, UnsafeBufferPointer<Float>) -> Void) throws {
        for sample in inputs {
            let outputs = try session.run(sample)
            for (index, output) in outputs.enumerated() where output.dtype == .float32 {
                output.withUnsafeBytes { body(index, $0.assumingMemoryBound(to: Float.self)) }
            }
        }
    }
}
