import Foundation
import LedgeCore
import LedgeFetch
import LedgeTesting
import Logging
import Testing

/// A model repository kept in S3, mirrored into the cache: listed page by page, changed objects
/// downloaded and renamed into place, removed ones deleted, unchanged ones left alone.
@Suite struct S3RepositoryTests {
    @Test func mirrorFollowsTheBucket() async throws {
        try await withTemporaryDirectory(prefix: "ledge-s3-repo") { root in
            let store = root + "/store"
            func put(_ model: String, _ name: String) throws { try putModel(model, at: store + "/" + name) }
            try put("add.onnx", "repo/prod/add/1/model.onnx")
            try "max_batch_size: 0\n".write(toFile: store + "/repo/prod/add/config.pbtxt", atomically: true, encoding: .utf8)
            try put("mobilenet_gen.onnx", "repo/prod/mobilenet/1/model.onnx")
            try put("add.onnx", "repo/staging/add/1/model.onnx")  // another prefix: not mirrored
            try await FixtureHTTPServer.withS3Server(root: store, accessKey: "AKIDREPO", secret: "repo-secret") { server in
                let settings = S3Settings(
                    endpoint: RequestURL(server.baseURL), region: "us-east-1",
                    credentials: AWSCredentials(accessKeyID: "AKIDREPO", secretAccessKey: "repo-secret"))
                let mirror = try RepositoryMirror(
                    uri: "s3://repo/prod", cacheDirectory: root + "/cache", s3: settings,
                    logger: Logger(label: "s3-repo-test") { _ in SwiftLogNoOpLogHandler() })
                let first = try await mirror.sync()
                #expect(first.downloaded == ["add/1/model.onnx", "add/config.pbtxt", "mobilenet/1/model.onnx"])
                #expect(
                    FileManager.default.contents(atPath: mirror.folder + "/mobilenet/1/model.onnx")
                        == FileManager.default.contents(atPath: Fixtures.model("mobilenet_gen.onnx")))
                #expect(try FileManager.default.contentsOfDirectory(atPath: mirror.folder).sorted() == ["add", "mobilenet"])
                // Three keys, two per page: two signed listings.
                #expect(
                    server.s3Outcomes().filter { $0.hasPrefix("LIST ") } == [
                        "LIST repo prod/ signed=host;x-amz-content-sha256;x-amz-date -> 2",
                        "LIST repo prod/ signed=host;x-amz-content-sha256;x-amz-date -> 1",
                    ])

                let again = try await mirror.sync()
                #expect(again == RepositoryMirror.Outcome(downloaded: [], removed: [], kept: 3))
                #expect(server.s3Outcomes().filter { $0.hasPrefix("GET ") }.count == 3)  // nothing fetched again

                try put("mobilenet_gen.onnx", "repo/prod/add/1/model.onnx")
                try FileManager.default.removeItem(atPath: store + "/repo/prod/mobilenet")
                try put("add.onnx", "repo/prod/new/1/model.onnx")
                let changed = try await mirror.sync()
                #expect(
                    changed
                        == RepositoryMirror.Outcome(
                            downloaded: ["add/1/model.onnx", "new/1/model.onnx"], removed: ["mobilenet/1/model.onnx"], kept: 1))
                #expect(try FileManager.default.contentsOfDirectory(atPath: mirror.folder).sorted() == ["add", "new"])
                #expect(
                    FileManager.default.contents(atPath: mirror.folder + "/add/1/model.onnx")
                        == FileManager.default.contents(atPath: Fixtures.model("mobilenet_gen.onnx")))
                #expect(try FileManager.default.contentsOfDirectory(atPath: mirror.folder + "/../partial").isEmpty)

                var wrong = settings
                wrong.credentials?.secretAccessKey = "nope"
                let refused = try RepositoryMirror(
                    uri: "s3://repo/prod", cacheDirectory: root + "/cache", s3: wrong,
                    logger: Logger(label: "s3-repo-test") { _ in SwiftLogNoOpLogHandler() })
                await #expect(
                    throws: LedgeError(
                        .remoteFailure,
                        "s3://repo/prod: listing failed with HTTP 403: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method."
                    )
                ) {
                    try await refused.sync()
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: mirror.folder).sorted() == ["add", "new"])  // kept as it was
            }
            #expect(throws: LedgeError.usage("model repository 's3://x/m': expected s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]")) {
                try RepositoryMirror(uri: "s3://x/m", cacheDirectory: root, logger: Logger(label: "t"))
            }
        }
    }
}
