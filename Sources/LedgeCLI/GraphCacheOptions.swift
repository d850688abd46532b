internal import ArgumentParser
internal import LedgeEngine

/// Where ONNX Runtime's optimized graphs and XNNPACK's packed weights are kept between runs (`serve`, `classify`).
struct GraphCacheOptions: ParsableArguments {
    @Option(
        name: .customLong("onnx-cache"),
        help:
            "Where ONNX Runtime's optimized graphs are kept, so the next start skips optimizing (by model SHA-256, runtime and CPU; default: $XDG_CACHE_HOME/ledge/onnx or ~/.cache/ledge/onnx; 'none' disables). ledge serve's instances of a model opened from it share one copy of the model's weights."
    )
    var onnxCache: String?

    @Option(
        name: .customLong("xnnpack-cache"),
        help:
            "Where XNNPACK's packed weights of TFLite models are kept: the instances of a model share them, and the next start skips packing (by model SHA-256, runtime and CPU; default: $XDG_CACHE_HOME/ledge/xnnpack or ~/.cache/ledge/xnnpack; 'none' disables). ledge serve also keeps there, in a file without a name, the model bytes LiteRT reads in place, which then leave its resident memory once compiled."
    )
    var xnnpackCache: String?

    /// The ONNX graph cache these options describe, `nil` for `none` or without a home.
    var graphCache: ONNXGraphCache? {
        let directory = onnxCache == "none" ? nil : onnxCache ?? ONNXGraphCache.defaultDirectory()
        return directory.map { ONNXGraphCache(directory: $0) }
    }

    /// The XNNPACK weight cache these options describe, `nil` for `none` or without a home.
    var weightCache: XNNPackWeightCache? {
        let directory = xnnpackCache == "none" ? nil : xnnpackCache ?? XNNPackWeightCache.defaultDirectory()
        return directory.map { XNNPackWeightCache(directory: $0) }
    }
}
