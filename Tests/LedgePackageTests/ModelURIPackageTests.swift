import Foundation
import LedgeCore
import LedgeRelease
import LedgeTesting
import Testing

/// Models from URIs and images of the server alone, against the loopback S3 fixture (whose
/// signature check is botocore's): `ledge package --model-uri s3://…` puts the object in the
/// image; `ledge package --runtime onnxruntime` without models makes an image whose entrypoint
/// takes the models as arguments, and run from its own root filesystem with `--model-uri
/// s3://…` that image fetches the model, signed, and serves it.
@Suite(.serialized, .ownThread) struct ModelURIPackageTests {
    static let key = "AKIDPACKAGE"
    static let secret = "package/S3cret"

    @Test func imagesTakeModelsFromS3() async throws {
        let scratch = try PackageRun.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: scratch + "/store/models/edge", withIntermediateDirectories: true)
        let add = Fixtures.model("add.onnx")
        try FileManager.default.copyItem(atPath: add, toPath: scratch + "/store/models/edge/add.onnx")
        let addSHA = try ContentDigest.sha256(file: add).digest
        try await FixtureHTTPServer.withS3Server(root: scratch + "/store", accessKey: Self.key, secret: Self.secret) { s3 in
            let aws = [
                "AWS_ENDPOINT_URL": s3.baseURL, "AWS_ACCESS_KEY_ID": Self.key, "AWS_SECRET_ACCESS_KEY": Self.secret,
                "AWS_EC2_METADATA_DISABLED": "true",
            ]
            // The object, fetched here into the cache, is the image's model 'add'.
            let baked = try PackageRun.result(
                try PackageRun.ledge(
                    ["--model-uri", "s3://models/edge/add.onnx", "--model-cache", scratch + "/cache", "-o", scratch + "/baked"],
                    environment: aws))
            let bakedModels = try #require(baked["models"] as? [[String: Any]])
            #expect(bakedModels.map { $0["name"] as? String } == ["add"])
            #expect(bakedModels.first?["sha256"] as? String == addSHA)
            let bakedFiles = ((baked["platforms"] as? [[String: Any]])?.first?["files"] as? [String]) ?? []
            #expect(bakedFiles.contains("/models/add/model.onnx"))
            #expect(s3.s3Outcomes().filter { $0.hasPrefix("GET /models/edge/add.onnx signed=") && $0.hasSuffix("-> 200") }.count == 1)

            // The server alone: ONNX Runtime without LiteRT, no model file, models as arguments.
            let alone = try PackageRun.result(try PackageRun.ledge(["--runtime", "onnxruntime", "-o", scratch + "/alone", "--tag", "t"]))
            #expect((alone["models"] as? [Any])?.isEmpty == true)
            let platform = try #require((alone["platforms"] as? [[String: Any]])?.first)
            #expect((platform["runtimes"] as? [String])?.map { $0.split(separator: " ").first.map(String.init) } == ["onnxruntime"])
            let files = platform["files"] as? [String] ?? []
            #expect(files.contains { $0.hasPrefix("/opt/ledge/lib/libonnxruntime.so") })
            #expect(!files.contains { $0.hasPrefix("/models/") || $0.contains("libLiteRt") }, "\(files)")
            try await ImageRootfs.withUnpacked(ociLayout: scratch + "/alone", tag: "t") { rootfs in
                try await serveFromS3(rootfs: rootfs, aws: aws, s3: s3)
            }
        }
        let nothing = try PackageRun.ledge(["-o", scratch + "/none"])
        #expect(nothing.status == 2)
        #expect(
            nothing.stderr.hasPrefix(
                "Error: give --model PATH (repeatable), --model-uri URI, --model-repository DIR, or --runtime KIND for a server alone\n"),
            "\(nothing.stderr)")
        let unknown = try PackageRun.ledge(["--runtime", "tensorrt", "-o", scratch + "/none"])
        #expect(unknown.status == 2)
        #expect(
            unknown.stderr.hasPrefix("Error: The value 'tensorrt' is invalid for '--runtime <kind>': expected litert and/or onnxruntime\n"),
            "\(unknown.stderr)")
        #expect(!PackageRun.exists(scratch + "/none"))
    }

    /// The image's own command and environment, plus `--model-uri s3://…` and the AWS variables:
    /// ready, 1+2 = 3, the object fetched once more (into the image's cache), signed.
    private func serveFromS3(rootfs: ImageRootfs, aws: [String: String], s3: FixtureHTTPServer) async throws {
        let config = try JSONSerialization.jsonObject(with: rootfs.runtimeConfig()) as? [String: Any]
        let process = try #require(config?["process"] as? [String: Any])
        let args = try #require(process["args"] as? [String])
        #expect(args == ["/usr/bin/ledge", "serve", "--host", "0.0.0.0", "--port", "8000"])
        var environment = aws
        for line in process["env"] as? [String] ?? [] {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1] }
        }
        let gets = s3.s3Outcomes().filter { $0.hasPrefix("GET /models/edge/add.onnx") }.count
        let command = args + ["--model-uri", "s3://models/edge/add.onnx", "--model-cache", "/tmp/models", "--host", "127.0.0.1", "--port", "0"]
        try await ChrootProcess.withProcess(rootfs: rootfs.path, command: command, environment: environment) { server in
            #expect(await server.waitForOutput(containing: "/v2 ("), "stdout: \(server.stdout()) stderr: \(server.stderr())")
            let port = try #require(server.stdout().firstMatch(of: #/127\.0\.0\.1:(\d+)\/v2/#).map { String($0.output.1) })
            let body =
                #"{"inputs":[{"name":"a","shape":[1,4],"datatype":"FP32","data":[1,1,1,1]},"#
                + #"{"name":"b","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#
            let answer = try await HTTP.post(
                "http://127.0.0.1:\(port)/v2/models/add/infer", body: Data(body.utf8), contentType: "application/json")
            #expect(answer.status == 200)
            let json = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            #expect((json?["outputs"] as? [[String: Any]])?.first?["data"] as? [Double] == [2, 3, 4, 5])
            #expect(try server.mappedFiles().contains { $0.hasPrefix(rootfs.path + "/opt/ledge/lib/libonnxruntime.so") })
        }
        let fetched = s3.s3Outcomes().filter { $0.hasPrefix("GET /models/edge/add.onnx") }.dropFirst(gets)
        #expect(fetched.count == 1 && fetched.allSatisfy { $0.contains("signed=host;") && $0.hasSuffix("-> 200") }, "\(fetched)")
    }
}
