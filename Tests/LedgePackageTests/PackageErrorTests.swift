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

    /// Nothing listens: tried again after 1 s (`--registry-retries 1`), with a warning, then refused.
    @Test func unreachableRegistry() throws {
        // Port 1 on loopback: nothing listens there.
        let run = try PackageRun.ledge([
            "-m", PackageRun.effnet, "--platform", "linux/amd64", "--push", "127.0.0.1:1/ledge/x:1", "--insecure-registry",
            "--registry-retries", "1",
        ])
        #expect(run.status == 4)
        #expect(
            run.stderr
                == "warning: GET http://127.0.0.1:1/v2/ failed: connection refused; trying again in 1 s\n"
                + "error: GET http://127.0.0.1:1/v2/ failed: connection refused\n")
        let none = try PackageRun.ledge([
            "-m", PackageRun.effnet, "--platform", "linux/amd64", "--push", "127.0.0.1:1/ledge/x:1", "--insecure-registry",
            "--registry-retries", "0",
        ])
        #expect(none.status == 4)
        #expect(none.stderr == "error: GET http://127.0.0.1:1/v2/ failed: connection refused\n")
        let tooMany = try PackageRun.ledge(["-m", PackageRun.effnet, "--push", "127.0.0.1:1/ledge/x:1", "--registry-retries", "11"])
        #expect(tooMany.status == 2)
        #expect(tooMany.stderr.contains("--registry-retries must be between 0 and 10, got 11"), "\(tooMany.stderr)")
    }

    /// Every upload fails half-way with a 500 (`Retry-After: 0`): the blob is tried again from its
    /// POST three times, with a warning each, then the push fails with the registry's own message.
    @Test func registryFailingInTheMiddleOfABlobUpload() async throws {
        try await FaultyRegistryProcess.withFaultyRegistry { registry in
            let run = try PackageRun.ledge([
                "-m", PackageRun.effnet, "--platform", "linux/amd64", "--push", "\(registry.host)/ledge/x:1", "--insecure-registry",
            ])
            #expect(run.status == 4)
            let lines = run.stderr.split(separator: "\n").map(String.init)
            let failure = "registry \(registry.host): upload of sha256:"
            #expect(lines.count == 4, "\(run.stderr)")
            for line in lines.prefix(3) {
                #expect(
                    line.hasPrefix("warning: " + failure) && line.hasSuffix(" failed with 500: UNKNOWN injected failure; trying again in 0 s"),
                    "\(line)")
            }
            #expect(lines.last?.hasPrefix("error: " + failure) == true && lines.last?.hasSuffix(" failed with 500: UNKNOWN injected failure") == true)
            // The same blob, four times, each from a new upload.
            let failed = registry.failedUploads()
            #expect(failed.count == 4, "\(failed)")
            #expect(Set(failed.map { $0.split(separator: "?").last.map(String.init) ?? "" }).count == 1, "\(failed)")
            #expect(Set(failed.map { $0.split(separator: "?").first.map(String.init) ?? "" }).count == 4, "\(failed)")
            #expect(registry.manifestPuts().isEmpty)
        }
    }
}
