import Foundation
import LedgeCore
import LedgeFetch
import LedgeTesting
import Logging
import Testing

/// A model repository kept in Cloud Storage (`gs://BUCKET/PREFIX`, as Triton's
/// `--model-repository=gs://…`), mirrored into the cache through the JSON API's list and media
/// downloads with the metadata server's token: listed page by page, changed objects downloaded,
/// removed ones deleted, unchanged ones left alone.
@Suite struct GCSRepositoryTests {
    @Test func mirrorFollowsTheBucket() async throws {
        try await withTemporaryDirectory(prefix: "ledge-gcs-repo") { root in
            let bucket = root + "/served/gcs/repo"
            func put(_ model: String, _ name: String) throws { try putModel(model, at: bucket + "/" + name) }
            try put("add.onnx", "prod/add/1/model.onnx")
            try "max_batch_size: 0\n".write(toFile: bucket + "/prod/add/config.pbtxt", atomically: true, encoding: .utf8)
            try put("mobilenet_gen.onnx", "prod/mobilenet/1/model.onnx")
            try put("add.onnx", "staging/add/1/model.onnx")  // another prefix: not mirrored
            try await FixtureHTTPServer.withServer(root: root + "/served") { server in
                let host = server.baseURL.replacingOccurrences(of: "http://", with: "")
                let settings = try GCSSettings.from(
                    environment: ["STORAGE_EMULATOR_HOST": host, "GCE_METADATA_HOST": host, "HOME": "/nonexistent-home"], machineName: "")
                let logger = Logger(label: "gcs-repo-test") { _ in SwiftLogNoOpLogHandler() }
                let mirror = try RepositoryMirror(uri: "gs://repo/prod", cacheDirectory: root + "/cache", gcs: settings, logger: logger)
                let first = try await mirror.sync()
                #expect(first.downloaded == ["add/1/model.onnx", "add/config.pbtxt", "mobilenet/1/model.onnx"])
                #expect(
                    FileManager.default.contents(atPath: mirror.folder + "/mobilenet/1/model.onnx")
                        == FileManager.default.contents(atPath: Fixtures.model("mobilenet_gen.onnx")))
                // Three objects, two per page: two listings, each with the metadata server's token.
                #expect(
                    server.gcsRequests().filter { $0.contains("LIST") || $0.hasPrefix("METADATA") } == [
                        "METADATA token", "GCS LIST repo prod/ -> 2 token=metadata", "GCS LIST repo prod/ -> 1 token=metadata",
                    ])

                let again = try await mirror.sync()
                #expect(again == RepositoryMirror.Outcome(downloaded: [], removed: [], kept: 3))
                try put("mobilenet_gen.onnx", "prod/add/1/model.onnx")
                try FileManager.default.removeItem(atPath: bucket + "/prod/mobilenet")
                let changed = try await mirror.sync()
                #expect(changed == RepositoryMirror.Outcome(downloaded: ["add/1/model.onnx"], removed: ["mobilenet/1/model.onnx"], kept: 1))
                #expect(try FileManager.default.contentsOfDirectory(atPath: mirror.folder).sorted() == ["add"])
                #expect(server.gcsRequests().filter { $0.hasPrefix("GCS repo/") }.count == 4)  // 3, then the changed one

                let anonymous = try RepositoryMirror(
                    uri: "gs://repo/prod", cacheDirectory: root + "/cache", gcs: GCSSettings(endpoint: server.baseURL), logger: logger)
                await #expect(
                    throws: LedgeError(
                        .remoteFailure,
                        "gs://repo/prod: listing failed with HTTP 401: Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist)."
                    )
                ) {
                    try await anonymous.sync()
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: mirror.folder).sorted() == ["add"])  // kept as it was
            }
            #expect(throws: LedgeError.usage("model repository 'gs://x/m': expected s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]")) {
                try RepositoryMirror(uri: "gs://x/m", cacheDirectory: root, logger: Logger(label: "t"))
            }
        }
    }
}
