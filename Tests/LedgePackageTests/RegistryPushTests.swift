import Foundation
import LedgeTesting
import Testing

/// `ledge package --push` against Debian's docker-registry (the CNCF distribution server) with
/// htpasswd auth on loopback, then the amd64 image run from its own root filesystem.
@Suite(.serialized, .ownThread) struct RegistryPushTests {
    @Test func multiArchPushIsIdempotentRefusesBadCredentialsAndRunsFromItsRootfs() async throws {
        try await RegistryProcess.withRegistry { registry in
            let reference = "\(registry.host)/ledge/effnet:1"
            let credentials = registry.credentials!
            let env = ["LEDGE_REGISTRY_USER": credentials.user, "LEDGE_REGISTRY_PASSWORD": credentials.password]
            let push = ["-m", PackageRun.effnet, "--platform", "linux/amd64,linux/arm64", "--push", reference, "--insecure-registry"]

            // First push: every blob goes up; the tag names an index of both platforms.
            let first = try PackageRun.result(try PackageRun.ledge(push, environment: env))
            let uploadsAfterFirst = await registry.blobUploadCount()
            #expect(first["uploadedBlobs"] as? Int == uploadsAfterFirst)
            #expect(uploadsAfterFirst == 8)  // 3 layers + config, per platform
            let raw = try await Skopeo.inspectRaw(reference: "docker://" + reference, credentials: credentials)
            #expect(try PackageRun.indexPlatforms(raw) == ["amd64", "arm64"])
            let index = try JSONSerialization.jsonObject(with: raw) as? [String: Any]
            #expect(index?["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
            let digest = try #require(first["indexDigest"] as? String)

            // Second push of the same inputs: the same digest, no blob uploaded.
            let second = try PackageRun.result(try PackageRun.ledge(push, environment: env))
            #expect(second["indexDigest"] as? String == digest)
            #expect(await registry.blobUploadCount() == uploadsAfterFirst)
            #expect(second["uploadedBlobs"] as? Int == 0)
            #expect(second["skippedBlobs"] as? Int == 8)

            // A wrong password: one line, exit 4, and the new tag does not appear.
            var wrong = push
            wrong[wrong.firstIndex(of: reference)!] = "\(registry.host)/ledge/effnet:2"
            let refused = try PackageRun.ledge(wrong, environment: env.merging(["LEDGE_REGISTRY_PASSWORD": "wrong"]) { $1 })
            #expect(refused.status == 4)
            #expect(refused.stderr == "error: registry \(registry.host) refused the credentials for user '\(credentials.user)' (401)\n")
            #expect(try await registry.tags(repository: "ledge/effnet") == ["1"])

            try await runAmd64FromRegistry(reference, credentials: credentials)
        }
    }

    /// `skopeo copy` the amd64 image to an OCI layout, `umoci unpack` it, and serve from the
    /// rootfs as uid 65532 with the image's own environment: ready, chelsea → Egyptian cat, and
    /// no mapped file from outside the rootfs.
    private func runAmd64FromRegistry(_ reference: String, credentials: RegistryCredentials) async throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        _ = try await Skopeo.copy(
            from: "docker://" + reference, to: "oci:\(scratch)/layout:amd64", credentials: credentials, overrideArch: "amd64")
        try await ImageRootfs.withUnpacked(ociLayout: scratch + "/layout", tag: "amd64") { rootfs in
            let config = try JSONSerialization.jsonObject(with: rootfs.runtimeConfig()) as? [String: Any]
            let process = try #require(config?["process"] as? [String: Any])
            #expect((process["user"] as? [String: Any])?["uid"] as? Int == 65532)
            let args = try #require(process["args"] as? [String])
            #expect(args == ["/usr/bin/ledge", "serve", "--model-repository", "/models", "--host", "0.0.0.0", "--port", "8000"])
            var environment: [String: String] = [:]
            for line in process["env"] as? [String] ?? [] {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 && parts[0] != "TERM" { environment[parts[0]] = parts[1] }
            }
            // Loopback only, on a free port: the image's own command with its last options overridden.
            let command = args + ["--host", "127.0.0.1", "--port", "0"]
            try await ChrootProcess.withProcess(rootfs: rootfs.path, command: command, environment: environment) {
                server in
                #expect(await server.waitForOutput(containing: "/v2 ("), "stdout: \(server.stdout()) stderr: \(server.stderr())")
                let port = try #require(server.stdout().firstMatch(of: #/127\.0\.0\.1:(\d+)\/v2/#).map { String($0.output.1) })
                let ready = try await HTTP.get("http://127.0.0.1:\(port)/v2/health/ready")
                #expect(ready.status == 200)
                let image = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
                let classified = try await HTTP.post(
                    "http://127.0.0.1:\(port)/v2/models/efficientnet_lite0/classify?top_k=1", body: image, contentType: "image/jpeg")
                #expect(classified.status == 200)
                #expect(String(decoding: classified.body, as: UTF8.self).contains(#""label":"Egyptian cat""#))
                #expect(try server.mappedFilesOutsideRootfs() == [])
                #expect(try server.mappedFiles().contains(rootfs.path + "/opt/ledge/lib/libLiteRt.so"))
                #expect(try server.mappedFiles().contains(rootfs.path + "/lib/x86_64-linux-gnu/libc.so.6"))
            }
            try await fetchOverHTTPS(rootfs: rootfs.path, environment: environment)
        }
    }

    /// The image's `/etc/ssl/certs/ca-certificates.crt` holds Debian's Mozilla roots, and its `ledge`
    /// verifies an https model URI against that file: refused while the server's CA is not in it,
    /// fetched and served once it is appended (in this unpacked copy only).
    private func fetchOverHTTPS(rootfs: String, environment: [String: String]) async throws {
        let bundle = rootfs + "/etc/ssl/certs/ca-certificates.crt"
        let roots = try String(contentsOfFile: bundle, encoding: .utf8)
        #expect(roots.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1 >= 100)
        let certificates = try TestCertificates()
        let models = (Fixtures.model("efficientnet_lite0.tflite") as NSString).deletingLastPathComponent
        try await FixtureHTTPServer.withServer(root: models, tls: (certificates.certificate, certificates.key)) { files in
            let uri = files.baseURL + "/files/efficientnet_lite0.tflite"
            let command = [
                "/usr/bin/ledge", "serve", "--model-uri", uri, "--model-cache", "/tmp/models", "--host", "127.0.0.1", "--port", "0",
            ]
            try await ChrootProcess.withProcess(rootfs: rootfs, command: command, environment: environment) { server in
                let exit = await server.waitForExit(timeout: .seconds(60))
                #expect(exit?.status == 4, "stdout: \(server.stdout()) stderr: \(server.stderr())")
                #expect(server.stderr().hasSuffix("\(uri): the server's certificate does not verify against the trust roots\n"), "\(server.stderr())")
            }
            let ca = try String(contentsOfFile: certificates.ca, encoding: .utf8)
            try (roots + ca).write(toFile: bundle, atomically: false, encoding: .utf8)
            try await ChrootProcess.withProcess(rootfs: rootfs, command: command, environment: environment) { server in
                #expect(await server.waitForOutput(containing: "/v2 ("), "stdout: \(server.stdout()) stderr: \(server.stderr())")
                let port = try #require(server.stdout().firstMatch(of: #/127\.0\.0\.1:(\d+)\/v2/#).map { String($0.output.1) })
                let ready = try await HTTP.get("http://127.0.0.1:\(port)/v2/models/efficientnet_lite0/ready")
                #expect(ready.status == 200)
            }
            #expect(files.requests().filter { $0.hasPrefix("GET /files/efficientnet_lite0.tflite") }.count == 1)
        }
    }
}
