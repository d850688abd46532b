import Foundation
import LedgeTesting
import Testing

/// Bad input: one line on stderr, the documented exit code, nothing at the -o path.
@Suite(.serialized, .ownThread) struct PackageErrorTests {
    /// Runs `ledge package … -o OUT` and checks stderr, exit code and that OUT does not exist.
    private func refused(_ arguments: [String], status: Int32, message: (String) -> String) throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let output = scratch + "/image"
        let run = try PackageRun.ledge(arguments + ["-o", output])
        #expect(run.status == status, "\(run.stderr)")
        #expect(run.stderr == "error: " + message(output) + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == [])
    }

    @Test func missingModel() throws {
        try refused(["-m", "/nonexistent/m.tflite", "--platform", "linux/amd64"], status: 3) { _ in
            "model file not found: /nonexistent/m.tflite"
        }
    }

    @Test func modelWhoseRuntimeHasNoLibraryForThePlatform() throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // A platforms folder whose arm64 set-up lacks ONNX Runtime.
        let arm = scratch + "/linux-arm64"
        try FileManager.default.createDirectory(atPath: arm, withIntermediateDirectories: true)
        for item in ["root", "runtimes"] {
            try FileManager.default.createSymbolicLink(atPath: arm + "/" + item, withDestinationPath: PackageRun.platforms + "/linux-arm64/" + item)
        }
        var manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: PackageRun.platforms + "/linux-arm64/platform.json")))
                as? [String: Any])
        manifest["runtimes"] = (manifest["runtimes"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String != "onnxruntime" }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: arm + "/platform.json"))
        try refused(["-m", PackageRun.ocr, "--platform", "linux/arm64", "--platforms", scratch], status: 4) { _ in
            "model 'ch_ppocr_mobile_v2.0_cls_infer' (\(PackageRun.ocr)) needs ONNX Runtime, which has no library for linux/arm64 in \(arm) or run 'make setup'"
        }
    }

    @Test func binaryOfTheWrongArchitecture() throws {
        try refused(
            ["-m", PackageRun.effnet, "--platform", "linux/arm64", "--binary", "linux/arm64=\(PackageRun.amd64Helper)"], status: 3
        ) { _ in
            "binary for linux/arm64 '\(PackageRun.amd64Helper)' is an x86_64 ELF file, expected aarch64 for linux/arm64"
        }
    }

    @Test func dockerArchiveOfTwoPlatforms() throws {
        try refused(["-m", PackageRun.effnet, "--platform", "linux/amd64,linux/arm64", "--format", "docker-archive"], status: 2) { _ in
            "docker-archive holds one platform, 2 were requested: pass one --platform or use --format oci-archive"
        }
    }

    @Test func unreachableRegistry() throws {
        // Port 1 on loopback: nothing listens there.
        let run = try PackageRun.ledge([
            "-m", PackageRun.effnet, "--platform", "linux/amd64", "--push", "127.0.0.1:1/ledge/x:1", "--insecure-registry",
        ])
        #expect(run.status == 4)
        #expect(run.stderr.hasPrefix("error: GET http://127.0.0.1:1/v2/ failed: "), "\(run.stderr)")
        #expect(run.stderr.contains("onnection refused"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test func registryFailingInTheMiddleOfABlobUpload() async throws {
        try await FaultyRegistryProcess.withFaultyRegistry { registry in
            let run = try PackageRun.ledge([
                "-m", PackageRun.effnet, "--platform", "linux/amd64", "--push", "\(registry.host)/ledge/x:1", "--insecure-registry",
            ])
            #expect(run.status == 4)
            #expect(run.stderr.split(separator: "\n").count == 1)
            #expect(run.stderr.hasPrefix("error: "), "\(run.stderr)")
            #expect(
                run.stderr.contains("upload of sha256:") || run.stderr.contains("PUT http://\(registry.host)/v2/ledge/x/blobs/uploads/"),
                "\(run.stderr)")
            #expect(registry.manifestPuts().isEmpty)
        }
    }
}
