internal import ArgumentParser
internal import LedgeEngine

/// How `ledge serve` probes each model in a child process before loading it, and
/// where it keeps what spares a restart work (probe results, optimized ONNX graphs).
struct ProbeOptions: ParsableArguments {
    @Flag(
        name: .customLong("no-probe"),
        help: "Load models without first opening each in a child process (a model that crashes the runtime then takes the server down).")
    var noProbe = false

    @Option(name: .customLong("probe-timeout"), help: "Seconds a model may take to load and run once in the probe.")
    var probeTimeout: Double = 60

    @Option(name: .customLong("probe-memory"), help: "The probe's address-space limit in MiB.")
    var probeMemory = 4096

    @Option(
        name: .customLong("probe-cache"),
        help:
            "Where probe results are kept, by model SHA-256 and runtime (default: $XDG_CACHE_HOME/ledge/probe or ~/.cache/ledge/probe; 'none' disables)."
    )
    var probeCache: String?

    @OptionGroup var graphs: GraphCacheOptions

    func validate() throws {
        guard probeTimeout > 0, probeTimeout <= 3600 else {
            throw ValidationError("--probe-timeout must be more than 0 and at most 3600 seconds, got \(probeTimeout)")
        }
        guard (64...1 << 20).contains(probeMemory) else {
            throw ValidationError("--probe-memory must be between 64 and 1048576 MiB, got \(probeMemory)")
        }
    }

    /// The probe these options describe, `nil` with `--no-probe`.
    func probe(engine: EngineOptions) -> ModelProbe? {
        guard !noProbe else { return nil }
        let cache = probeCache == "none" ? nil : probeCache ?? ModelProbe.defaultCacheDirectory()
        return ModelProbe(
            executable: ModelProbe.currentExecutable(), engine: engine,
            timeout: .milliseconds(Int64((probeTimeout * 1000).rounded())),
            memoryLimit: probeMemory << 20, cacheDirectory: cache)
    }
}
