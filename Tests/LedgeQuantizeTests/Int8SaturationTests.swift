import Foundation
@testable import LedgeQuantize
import Testing

/// Which CPUs get `ledge quantize`'s `--reduce-range` note: x86 with AVX2 and no VNNI.
@Suite struct Int8SaturationTests {
    @Test func avx2WithoutVNNIIsFlagged() {
        let amd = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 fma bmi2\nprocessor\t: 1\n"
        #expect(Int8Saturation.likely(cpuinfo: amd))
        #expect(!Int8Saturation.likely(cpuinfo: amd.replacingOccurrences(of: "bmi2", with: "bmi2 avx512f avx512_vnni")))
        #expect(!Int8Saturation.likely(cpuinfo: amd.replacingOccurrences(of: "bmi2", with: "bmi2 avx_vnni")))
        #expect(!Int8Saturation.likely(cpuinfo: "flags\t\t: fpu sse2 sse4_2\n"), "no AVX2: other kernels")
        #expect(!Int8Saturation.likely(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd asimddp\n"), "ARM: no flags line")
        #expect(!Int8Saturation.likely(cpuinfo: ""))
    }
}
