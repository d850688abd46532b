import Foundation
import LedgeTesting
import Testing

/// What `-o` writes: layout, oci-archive, docker-archive, build context; reproducible digests.
@Suite(.serialized, .ownThread) struct PackageOutputTests {
    @Test func samesInputsGiveTheSameIndexDigestAndSkopeoReadsEveryFormat() async throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let common = ["-m", PackageRun.effnet, "--platform", "linux/amd64,linux/arm64", "--tag", "effnet:1", "--label", "team=vision"]
        let a = try PackageRun.result(try PackageRun.ledge(common + ["-o", scratch + "/a"]))
        let b = try PackageRun.result(try PackageRun.ledge(common + ["-o", scratch + "/b"]))
        let digest = try #require(a["indexDigest"] as? String)
        #expect(digest.hasPrefix("sha256:"))
        #expect(b["indexDigest"] as? String == digest)
        // Another time stamp is another image.
        let c = try PackageRun.result(try PackageRun.ledge(common + ["-o", scratch + "/c"], environment: ["SOURCE_DATE_EPOCH": "0"]))
        #expect(c["indexDigest"] as? String != digest)

        let raw = try await Skopeo.inspectRaw(reference: "oci:\(scratch)/a:1")
        #expect(try PackageRun.indexPlatforms(raw) == ["amd64", "arm64"])
        let config = try await Skopeo.inspectRaw(reference: "oci:\(scratch)/a:1", config: true)
        let labels = ((try JSONSerialization.jsonObject(with: config) as? [String: Any])?["config"] as? [String: Any])?["Labels"]
        let expected = [
            "org.opencontainers.image.created": "2026-12-02T05:55:05Z", "org.opencontainers.image.title": "ledge-efficientnet_lite0",
            "dev.ledge.model.efficientnet_lite0.format": "tflite", "dev.ledge.model.efficientnet_lite0.runtime": "litert", "team": "vision",
        ]
        for (key, value) in expected { #expect((labels as? [String: String])?[key] == value, "label \(key)") }
        // The SBOMs are beside the output.
        #expect(PackageRun.exists(scratch + "/a.linux-amd64.spdx.json"))
        #expect(PackageRun.exists(scratch + "/a.linux-arm64.spdx.json"))
        #expect(try !FileManager.default.contentsOfDirectory(atPath: scratch).contains { $0.hasPrefix(".ledge-package-") })

        _ = try PackageRun.result(try PackageRun.ledge(common + ["--format", "oci-archive", "-o", scratch + "/image.tar"]))
        #expect(try PackageRun.indexPlatforms(try await Skopeo.inspectRaw(reference: "oci-archive:\(scratch)/image.tar:1")) == ["amd64", "arm64"])

        let docker = ["-m", PackageRun.effnet, "--platform", "linux/amd64", "--tag", "effnet:1", "--format", "docker-archive"]
        _ = try PackageRun.result(try PackageRun.ledge(docker + ["-o", scratch + "/docker.tar"]))
        let summary = try await Skopeo.inspectDockerArchive(path: scratch + "/docker.tar")
        #expect(summary.Architecture == "amd64")
        #expect(summary.Layers.count == 3)
        #expect(summary.Env?.contains("LEDGE_LITERT_LIBRARY=/opt/ledge/lib/libLiteRt.so") == true)
    }

    /// A second packaging takes its compressed layers from the cache; a damaged entry is
    /// noticed and compressed anew; the digests never change.
    @Test func layerCacheGivesTheSameImage() throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let env = ["XDG_CACHE_HOME": scratch + "/cache"]
        let args = ["-m", PackageRun.effnet, "--platform", "linux/amd64"]
        let first = try PackageRun.result(try PackageRun.ledge(args + ["-o", scratch + "/a"], environment: env))
        let cache = scratch + "/cache/ledge/layers"
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".gz") }.sorted()
        #expect(entries.count == 3)
        let second = try PackageRun.result(try PackageRun.ledge(args + ["-o", scratch + "/b"], environment: env))
        #expect(second["indexDigest"] as? String == first["indexDigest"] as? String)
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: cache + "/" + entries[0]))
        let third = try PackageRun.result(try PackageRun.ledge(args + ["-o", scratch + "/c"], environment: env))
        #expect(third["indexDigest"] as? String == first["indexDigest"] as? String)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".gz") }.count == 3)
    }

    @Test func buildContextHasADockerfileHadolintAccepts() throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = try PackageRun.ledge(["-m", PackageRun.effnet, "--platform", "linux/amd64,linux/arm64", "--context", scratch + "/context"])
        #expect(run.status == 0, "\(run.stderr)")
        let dockerfile = try String(contentsOfFile: scratch + "/context/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("FROM scratch\n"))
        #expect(dockerfile.contains("USER 65532:65532\n"))
        #expect(
            dockerfile.contains(#"ENTRYPOINT ["/usr/bin/ledge", "serve", "--model-repository", "/models", "--host", "0.0.0.0", "--port", "8000"]"#))
        for platform in ["linux-amd64", "linux-arm64"] {
            #expect(PackageRun.exists(scratch + "/context/\(platform)/application/usr/bin/ledge"))
            #expect(PackageRun.exists(scratch + "/context/\(platform)/models/models/efficientnet_lite0/model.tflite"))
        }
        let hadolint = try ProcessRunner.run(Fixtures.home + "/venv/bin/hadolint", [scratch + "/context/Dockerfile"])
        #expect(hadolint.status == 0, "hadolint: \(hadolint.stdout)\(hadolint.stderr)")
        #expect(hadolint.stdout.isEmpty)
    }
}
