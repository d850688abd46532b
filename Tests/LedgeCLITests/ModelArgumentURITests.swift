import Foundation
import LedgeTesting
import Testing

/// `ledge inspect URI`, `classify -m URI`, `bench -m URI` and `quantize URI`: the model fetched first (here from
/// the loopback file server, into a cache of the test's own), as `serve --model-uri` fetches it.
@Suite(.ownThread) struct ModelArgumentURITests {
    /// A Hub repository in the Hub's layout (`hf://OWNER/REPO`), or its model named
    /// (`hf://OWNER/REPO/onnx/model.onnx`): classify reads the labels and image recipe fetched
    /// beside the model, as for the export on disk.
    @Test func classifyTakesAHubRepositoryWithItsConfigFiles() async throws {
        try await withTemporaryDirectory(prefix: "ledge-model-argument") { root in
            let repository = root + "/served/hub/vision/cats/main"
            try FileManager.default.createDirectory(atPath: repository + "/onnx", withIntermediateDirectories: true)
            for file in ["onnx/model.onnx", "config.json", "preprocessor_config.json"] {
                try FileManager.default.copyItem(atPath: Fixtures.huggingFace("convnext/" + file), toPath: repository + "/" + file)
            }
            try await FixtureHTTPServer.withServer(root: root + "/served") { server in
                let environment = ["XDG_CACHE_HOME": root + "/cache", "HF_ENDPOINT": server.baseURL + "/hub", "HF_TOKEN": ""]
                let arguments = ["-i", Fixtures.image("rocket.jpg"), "-k", "1", "-c", "1", "--exact-decode"]
                let local = try ProcessRunner.ledge(["classify", "-m", Fixtures.huggingFace("convnext/onnx/model.onnx")] + arguments)
                for uri in ["hf://vision/cats", "hf://vision/cats/onnx/model.onnx"] {
                    let remote = try ProcessRunner.ledge(["classify", "-m", uri] + arguments, environment: environment)
                    #expect(remote.status == 0, "\(remote.stderr)")
                    let results = HuggingFaceExportCLITests.results
                    #expect(HuggingFaceExportCLITests.isEgyptianCat(remote.stdout), "\(uri): \(remote.stdout)")
                    #expect(results(remote.stdout) == results(local.stdout))
                }
            }
        }
    }

    @Test func inspectClassifyBenchAndQuantizeTakeAModelURI() async throws {
        try await withTemporaryDirectory(prefix: "ledge-model-argument") { root in
            try FileManager.default.createDirectory(atPath: root + "/served", withIntermediateDirectories: true)
            for model in ["add.onnx", "efficientnet_lite0.tflite", "mlp_gen.onnx"] {
                try FileManager.default.copyItem(atPath: Fixtures.model(model), toPath: root + "/served/" + model)
            }
            try await FixtureHTTPServer.withServer(root: root + "/served") { server in
                let environment = ["XDG_CACHE_HOME": root + "/cache"]
                let inspect = try ProcessRunner.ledge(["inspect", server.baseURL + "/files/add.onnx"], environment: environment)
                #expect(inspect.status == 0, "\(inspect.stderr)")
                #expect(inspect.stdout.contains("  a    float32  [-1, 4]\n  b    float32  [-1, 4]\n"), "\(inspect.stdout)")
                #expect(inspect.stdout.hasPrefix("model:      \(root)/cache/ledge/models/sha256/"), "\(inspect.stdout)")
                let classify = try ProcessRunner.ledge(
                    ["classify", "-m", server.baseURL + "/files/efficientnet_lite0.tflite", "-i", Fixtures.image("chelsea.jpg"), "-k", "1"],
                    environment: environment)
                #expect(classify.status == 0, "\(classify.stderr)")
                #expect(classify.stdout.contains("Egyptian cat: 0.8"), "\(classify.stdout)")
                let bench = try ProcessRunner.ledge(
                    ["bench", "-m", server.baseURL + "/files/add.onnx", "--runs", "5", "--format", "json"], environment: environment)
                #expect(bench.status == 0, "\(bench.stderr)")
                #expect(bench.stdout.contains("\"count\" : 5"), "\(bench.stdout)")
                let quantize = try ProcessRunner.ledge(
                    ["quantize", server.baseURL + "/files/mlp_gen.onnx", "--dynamic", "-o", root + "/mlp.int8.onnx"], environment: environment)
                #expect(quantize.status == 0, "\(quantize.stderr)")
                #expect(quantize.stdout.contains("top-1 agreement"), "\(quantize.stdout)")
                #expect(FileManager.default.fileExists(atPath: root + "/mlp.int8.onnx"))
                #expect(server.requests().filter { $0.hasPrefix("GET /files/") }.count == 4)
                let bad = try ProcessRunner.ledge(["inspect", "azure://models/add.onnx"], environment: environment)
                #expect(bad.status == 2)
                #expect(
                    bad.stderr
                        == "error: model URI 'azure://models/add.onnx': expected https://, http://, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO/PATH or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>\n"
                )
            }
        }
    }
}
