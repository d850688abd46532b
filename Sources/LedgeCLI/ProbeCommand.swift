internal import ArgumentParser
internal import CLedgeProcess
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeEngine
internal import LedgeVision

/// `ledge probe MODEL` (hidden): the child side of ``ModelProbe``. Limits its
/// own address space, loads the model, runs it once on a synthetic input and
/// prints `probe: ok peak_bytes=N`. A crash kills only this process.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Load a model and run it once on a synthetic input, in a process of its own (used by serve).",
        shouldDisplay: false)

    @Argument(help: "The model file.")
    var model: String

    @Option(name: .customLong("memory-limit"), help: "Address-space limit in bytes (0: none).")
    var memoryLimit: Int = 0

    @Option(name: .customLong("onnx-cache"), help: "Where ONNX Runtime's optimized graphs are kept (default: none).")
    var onnxCache: String?

    @Option(name: .customLong("xnnpack-cache"), help: "Where XNNPACK's packed weights are kept (default: none).")
    var xnnpackCache: String?

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        if memoryLimit > 0 && ledge_limit_address_space(UInt64(memoryLimit)) != 0 {
            throw LedgeError.runtimeFailure("probe: cannot limit the address space to \(memoryLimit) bytes")
        }
        CrashGuard.watch(model)
        let logger = ConsoleLogHandler.logger(verbose: runtime.verbose)
        var engine = runtime.engineOptions
        engine.onnxGraphCache = onnxCache.map { ONNXGraphCache(directory: $0) }
        engine.xnnpackCache = xnnpackCache.map { XNNPackWeightCache(directory: $0) }
        let session = try ModelLoader.open(path: model, options: engine, logger: logger)
        _ = try session.run(SyntheticInput.tensors(for: session.info))
        print("probe: ok peak_bytes=\(Self.peakResidentBytes())")
    }

    /// VmHWM of this process, in bytes (0 when /proc is not there).
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

/// Turns a runtime's fatal signal into one `error:` line naming the model file.
enum CrashGuard {
    /// Installs the guard (once) and names `model` in the line it prints.
    static func watch(_ model: String) {
        ledge_crash_guard_install()
        ledge_crash_guard_set_context(model)
    }
}

/// Zero-filled inputs for a probe run: the image a model with an image recipe
/// (``ImageRecipe``: its size and channels) is fed, else a dynamic batch is 1,
/// other dynamic dimensions of a 4-D input are 32 (an image-sized plane), any other is 1.
enum SyntheticInput {
    static func tensors(for info: ModelInfo) -> [Tensor] {
        if let recipe = info.metadata.recipe, info.inputs.count == 1, let spec = info.inputs.first,
            let image = try? ImagePreprocessor(spec: spec, recipe: recipe)
        {
            return [Tensor(dtype: spec.dtype, shape: image.shape(batch: 1))]
        }
        return info.inputs.map { spec in
            let shape = spec.shape.enumerated().map { index, dim in
                dim >= 0 ? dim : (spec.shape.count == 4 && index > 0 ? 32 : 1)
            }
            return Tensor(dtype: spec.dtype, shape: shape)
        }
    }
}
