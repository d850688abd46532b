public import ArgumentParser
internal import LedgeCore
internal import LedgeEngine

/// Options shared by every command that opens a model.
public struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: "Intra-op threads (default: one per core, at most 4).")
    var threads: Int?

    @Option(name: .long, help: "ONNX Runtime execution provider: cpu, cuda, tensorrt, openvino, … (unavailable ones fall back to cpu with a warning).")
    var provider: String?

    @Option(name: .customLong("ort-library"), help: "Path of libonnxruntime.so (else LEDGE_ORT_LIBRARY, the set-up folder, site-packages).")
    var ortLibrary: String?

    @Option(name: .customLong("litert-library"), help: "Path of libLiteRt.so (else LEDGE_LITERT_LIBRARY, the set-up folder, site-packages).")
    var litertLibrary: String?

    @Flag(name: .shortAndLong, help: "Log what the runtimes are doing.")
    var verbose = false

    public init() {}

    public mutating func validate() throws {
        if let threads, threads < 1 || threads > 256 {
            throw ValidationError("--threads must be between 1 and 256, got \(threads)")
        }
    }

    var engineOptions: EngineOptions {
        EngineOptions(
            session: SessionOptions(threads: threads, provider: provider),
            onnxRuntimeLibrary: ortLibrary, liteRTLibrary: litertLibrary)
    }
}
