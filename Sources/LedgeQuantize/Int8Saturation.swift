internal import LedgeCore

/// Whether ONNX Runtime's int8 kernels on this machine may saturate with full-range weights:
/// on x86 with AVX2 but no VNNI (`avx512_vnni`, `avx_vnni`) they add pairs of uint8 × int8
/// products in 16 bits (`vpmaddubsw`), which `--reduce-range` (±64 weights) keeps exact.
/// ARM's int8 dot products do not saturate.
enum Int8Saturation {
    /// From `/proc/cpuinfo`'s text: the first `flags` line has `avx2` and no VNNI flag.
    static func likely(cpuinfo: String) -> Bool {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }))
        return flags.contains("avx2") && !flags.contains("avx512_vnni") && !flags.contains("avx_vnni")
    }

    /// For this machine (`false` off x86-64, or when `/proc/cpuinfo` cannot be read).
    static var onThisMachine: Bool {
        #if arch(x86_64)
        return (try? ProcFile.text("/proc/cpuinfo")).map(likely(cpuinfo:)) ?? false
        #else
        return false
        #endif
    }
}
