public import ArgumentParser
internal import LedgeCore
internal import LedgeEngine

/// Options shared by every command that opens a model: one thread count and
/// provider, plus where the runtime libraries are.
public struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: "Intra-op threads (default: one per core, at most 4).")
    var threads: Int?

    @Option(
        name: .long, help: "ONNX Runtime execution provider: cpu, cuda, tensorrt, openvino, … (unavailable ones fall back to cpu with a warning).")
    var provider: String?

    @OptionGroup var libraries: LibraryOptions

    public init() {}

    public mutating func validate() throws {
        if let threads, threads < 1 || threads > 256 {
            throw ValidationError("--threads must be between 1 and 256, got \(threads)")
        }
    }

    var verbose: Bool { libraries.verbose }

    var engineOptions: EngineOptions {
        var options = libraries.engineOptions
        options.session = SessionOptions(threads: threads, provider: provider)
        return options
    }
}

/// Where the runtime libraries are and how chatty to be; `ledge bench` takes
/// these without ``RuntimeOptions``' single `--threads`/`--provider` (it sweeps lists).
public struct LibraryOptions: ParsableArguments {
    @Option(name: .customLong("ort-library"), help: "Path of libonnxruntime.so (else LEDGE_ORT_LIBRARY, the set-up folder, site-packages).")
    var ortLibrary: String?

    @Option(name: .customLong("litert-library"), help: "Path of libLiteRt.so (else LEDGE_LITERT_LIBRARY, the set-up folder, site-packages).")
    var litertLibrary: String?

    @Flag(name: .shortAndLong, help: "Log what the runtimes are doing.")
    var verbose = false

    public init() {}

    var engineOptions: EngineOptions {
        EngineOptions(onnxRuntimeLibrary: ortLibrary, liteRTLibrary: litertLibrary)
    }
}
