public import LedgeCore
public import Logging
internal import LedgeLiteRT
internal import LedgeONNX

/// How to open a model: session options plus where the runtime libraries are.
public struct EngineOptions: Sendable, Hashable {
    public var session: SessionOptions
    /// Explicit path of `libonnxruntime.so` (else discovery: env, set-up folder, site-packages).
    public var onnxRuntimeLibrary: String?
    /// Explicit path of `libLiteRt.so`.
    public var liteRTLibrary: String?
    /// Where ONNX Runtime's optimized graphs are kept between processes; `nil`: optimize every time.
    public var onnxGraphCache: ONNXGraphCache?
    /// Where XNNPACK's packed weights of TFLite models are kept (shared by the instances of a model); `nil`: packed per session.
    public var xnnpackCache: XNNPackWeightCache?
    /// Whether the sessions opened from one `ModelFile` share its ONNX weights (``LedgeONNX/ONNXWeightShare``):
    /// set for a model served by several instances. One session alone gains nothing from it and holds
    /// the weights a kernel packs twice (the shared original beside the packed form it would free).
    public var sharesWeights = false

    public init(
        session: SessionOptions = SessionOptions(), onnxRuntimeLibrary: String? = nil, liteRTLibrary: String? = nil,
        onnxGraphCache: ONNXGraphCache? = nil, xnnpackCache: XNNPackWeightCache? = nil
    ) {
        self.session = session
        self.onnxRuntimeLibrary = onnxRuntimeLibrary
        self.liteRTLibrary = liteRTLibrary
        self.onnxGraphCache = onnxGraphCache
        self.xnnpackCache = xnnpackCache
    }
}

/// Opens a model file with the runtime its content calls for.
public enum ModelLoader {
    /// Reads `path`, tells its format from the bytes and returns a ready session.
    ///
    /// Throws ``LedgeError`` for a missing, empty or malformed model (exit 3) and
    /// for a runtime library that cannot be found or loaded (exit 4).
    public static func open(path: String, options: EngineOptions = EngineOptions(), logger: Logger) throws -> any InferenceSession {
        try open(file: try ModelFile(path: path), options: options, logger: logger)
    }

    /// A ready session for a model file already read; sessions opened from one
    /// `file` share its bytes (several instances of one model cost one copy).
    public static func open(file: ModelFile, options: EngineOptions = EngineOptions(), logger: Logger) throws -> any InferenceSession {
        let path = file.path
        switch file.format {
        case .tflite:
            if let provider = options.session.provider, provider.lowercased() != "cpu" {
                logger.warning("--provider \(provider) applies to ONNX models; LiteRT runs \(path) on the CPU (XNNPACK)")
            }
            let runtime = try LiteRTRuntime.shared(libraryPath: options.liteRTLibrary)
            if let cache = options.xnnpackCache {
                return try cache.open(file: file, options: options.session, runtime: runtime, logger: logger)
            }
            return try LiteRTSession(file: file, options: options.session, runtime: runtime, logger: logger)
        case .onnx:
            let runtime = try ONNXRuntime.shared(libraryPath: options.onnxRuntimeLibrary)
            // Served instances of one model share its weights (one copy, not one per instance).
            let weights = options.sharesWeights ? file.onnxWeightShare(runtime: runtime, logger: logger) : nil
            if let cache = options.onnxGraphCache {
                return try cache.open(file: file, options: options.session, runtime: runtime, weights: weights, logger: logger)
            }
            return try ONNXSession(file: file, options: options.session, runtime: runtime, weights: weights, logger: logger)
        }
    }

    /// Ledge's version, for probe cache keys.
    static var ledgeVersion: String { LedgeVersion.current }

    /// The runtime that opens models of `format`: its library path and version
    /// (loading the library if needed), e.g. `onnxruntime 1.31.1 /…/libonnxruntime.so.1.31.1`.
    public static func runtimeIdentity(format: ModelFormat, options: EngineOptions) throws -> String {
        switch format {
        case .tflite:
            let runtime = try LiteRTRuntime.shared(libraryPath: options.liteRTLibrary)
            return "litert \(runtime.version) \(runtime.libraryPath)"
        case .onnx:
            let runtime = try ONNXRuntime.shared(libraryPath: options.onnxRuntimeLibrary)
            return "onnxruntime \(runtime.version) \(runtime.libraryPath)"
        }
    }
}

extension ModelFile {
    /// The weight share of this ONNX file's sessions, made by the first that asks.
    func onnxWeightShare(runtime: ONNXRuntime, logger: Logger) -> ONNXWeightShare? {
        sessionShare.get { ONNXWeightShare(runtime: runtime, logger: logger) } as? ONNXWeightShare
    }
}
