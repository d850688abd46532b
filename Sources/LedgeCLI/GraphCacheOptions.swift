internal import ArgumentParser
internal import LedgeEngine

/// Where ONNX Runtime's optimized graphs are kept between runs (`serve`, `classify`).
struct GraphCacheOptions: ParsableArguments {
    @Option(
        name: .customLong("onnx-cache"),
        help:
            "Where ONNX Runtime's optimized graphs are kept, so the next start skips optimizing (by model SHA-256, runtime and CPU; default: $XDG_CACHE_HOME/ledge/onnx or ~/.cache/ledge/onnx; 'none' disables)."
    )
    var onnxCache: String?

    /// The ONNX graph cache these options describe, `nil` for `none` or without a home.
    var graphCache: ONNXGraphCache? {
        let directory = onnxCache == "none" ? nil : onnxCache ?? ONNXGraphCache.defaultDirectory()
        return directory.map { ONNXGraphCache(directory: $0) }
    }
}
