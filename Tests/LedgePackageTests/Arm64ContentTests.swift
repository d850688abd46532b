import Foundation
import LedgeTesting
import Testing

/// The arm64 image's content is real: only aarch64 ELF files, and its own aarch64 LiteRT and
/// ONNX Runtime, loaded by its own aarch64 glibc and libstdc++ under qemu-user, give the
/// x86_64 answers. The "ledge" of the arm64 image is the C test helper (no Swift toolchain
/// for aarch64 here), which loads a runtime library and runs one inference.
@Suite(.serialized, .ownThread) struct Arm64ContentTests {
    static let qemu = "/usr/bin/qemu-aarch64-static"

    @Test func arm64LayersHoldOnlyAarch64FilesThatRunTheModelsUnderQemu() async throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let built = try PackageRun.result(
            try PackageRun.ledge([
                "-m", PackageRun.effnet, "-m", PackageRun.ocr, "--name", "effnet", "--name", "ocr", "--platform", "linux/arm64",
                "-o", scratch + "/image", "--tag", "multi:1",
            ]))
        #expect((built["platforms"] as? [[String: Any]])?.count == 1)
        _ = try await Skopeo.copy(from: "oci:\(scratch)/image:1", to: "oci:\(scratch)/arm:t", overrideArch: "arm64")
        try await ImageRootfs.withUnpacked(ociLayout: scratch + "/arm", tag: "t") { rootfs in
            let elves = PackageRun.elfFiles(under: rootfs.path)
            for expected in [
                "usr/bin/ledge", "opt/ledge/lib/libLiteRt.so", "opt/ledge/lib/libonnxruntime.so.1.31.1", "lib/aarch64-linux-gnu/libc.so.6",
                "usr/lib/aarch64-linux-gnu/libstdc++.so.6.0.30", "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
            ] {
                #expect(elves.contains(expected), "\(expected) missing from the arm64 image")
            }
            for file in elves {
                #expect(try PackageRun.machine(rootfs.path + "/" + file) == 183, "\(file) is not aarch64")
            }

            // LiteRT and ONNX Runtime read /proc/cpuinfo: give them an ARM one (qemu -L looks in the
            // rootfs first), and a CPU whose features it lists.
            try FileManager.default.createDirectory(atPath: rootfs.path + "/proc", withIntermediateDirectories: true)
            try Self.cpuinfo.write(toFile: rootfs.path + "/proc/cpuinfo", atomically: true, encoding: .utf8)
            try PackageRun.chelseaInput(to: scratch + "/chelsea.raw")
            try PackageRun.coffeeInput(to: scratch + "/coffee.raw")

            let arm = try run(
                Self.qemu,
                [
                    "-cpu", "neoverse-n1", "-L", rootfs.path, rootfs.path + "/usr/bin/ledge", "litert", "/opt/ledge/lib/libLiteRt.so",
                    "/models/effnet/model.tflite", scratch + "/chelsea.raw", scratch + "/effnet-arm64.raw",
                ])
            let x86 = try run(
                PackageRun.amd64Helper,
                [
                    "litert", PackageRun.platforms + "/linux-amd64/runtimes/litert/libLiteRt.so", PackageRun.effnet,
                    scratch + "/chelsea.raw", scratch + "/effnet-amd64.raw",
                ])
            #expect(arm.hasPrefix("top1 285 "), "arm64: \(arm)")
            #expect(arm == x86)

            let shape = "1,3,48,192"
            let armOCR = try run(
                Self.qemu,
                [
                    "-cpu", "neoverse-n1", "-L", rootfs.path, rootfs.path + "/usr/bin/ledge", "onnxruntime",
                    "/opt/ledge/lib/libonnxruntime.so.1.31.1", "/models/ocr/model.onnx", scratch + "/coffee.raw", scratch + "/ocr-arm64.raw",
                    shape,
                ])
            _ = try run(
                PackageRun.amd64Helper,
                [
                    "onnxruntime", PackageRun.platforms + "/linux-amd64/runtimes/onnxruntime/libonnxruntime.so.1.31.1", PackageRun.ocr,
                    scratch + "/coffee.raw", scratch + "/ocr-amd64.raw", shape,
                ])
            #expect(armOCR.hasPrefix("top1 "))
            let a = try floats(scratch + "/ocr-arm64.raw")
            let b = try floats(scratch + "/ocr-amd64.raw")
            #expect(a.count == 2 && b.count == 2)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 }, "arm64 \(a) vs x86_64 \(b)")
        }
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try ProcessRunner.run(executable, arguments, timeLimit: 120)
        guard result.status == 0 else {
            throw HarnessError("\(executable) \(arguments.first ?? "") failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func floats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// A Neoverse-N1 as Linux lists it (the features qemu's `-cpu neoverse-n1` has).
    static let cpuinfo = """
        processor\t: 0
        BogoMIPS\t: 50.00
        Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
        CPU implementer\t: 0x41
        CPU architecture: 8
        CPU variant\t: 0x3
        CPU part\t: 0xd0c
        CPU revision\t: 1

        """
}
