import Foundation
import LedgeTesting
import Testing

/// `ledge deploy k8s --storage-uri` as KServe uses it, without a cluster
/// (scripts/check_kserve_runtime.py, in the kserve venv): the ServingRuntime and
/// InferenceService read into kserve 0.21.0's own API types, KServe's storage initializer
/// (kserve-storage) fetching the storageUri from a loopback file server into a scratch
/// /mnt/models, and the runtime's command — `{{.Name}}` replaced — serving it to KServe's
/// InferenceRESTClient under the InferenceService's name.
@Suite(.ownThread) struct KServeRuntimeTests {
    @Test func storageInitializerAndRuntimeServeASingleFileAndATritonArchive() async throws {
        let scratch = NSTemporaryDirectory() + "ledge-kserve-runtime-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let root = scratch + "/files"
        let triton = scratch + "/triton"
        let fm = FileManager.default
        for folder in [root, triton + "/1", triton + "/2"] { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try fm.copyItem(atPath: Fixtures.model("add.onnx"), toPath: root + "/add.onnx")
        for version in ["1", "2"] { try fm.copyItem(atPath: Fixtures.model("add.onnx"), toPath: triton + "/\(version)/model.onnx") }
        try "max_batch_size: 8\nversion_policy: { all { } }\n".write(toFile: triton + "/config.pbtxt", atomically: true, encoding: .utf8)
        let tar = try ProcessRunner.run("/bin/tar", ["czf", root + "/adder.tar.gz", "-C", triton, "config.pbtxt", "1", "2"])
        #expect(tar.status == 0, "\(tar.stderr)")

        try await FixtureHTTPServer.withServer(root: root) { files in
            // A single model file (flat: /mnt/models/add.onnx, format from the extension), then an
            // archive of Triton's layout with two versions and config.pbtxt (format given).
            // The second as a ClusterServingRuntime (no namespace) for an InferenceService in a namespace.
            let cases: [(uri: String, options: [String], runtime: String, folder: String, versions: String)] = [
                (files.baseURL + "/files/add.onnx", [], "ServingRuntime", "add.onnx", "['1']"),
                (
                    files.baseURL + "/files/adder.tar.gz", ["--model-format", "onnx", "--cluster-runtime", "--namespace", "vision"],
                    "ClusterServingRuntime", "1/model.onnx, 2/model.onnx, config.pbtxt", "['2', '1']"
                ),
            ]
            for (index, item) in cases.enumerated() {
                let manifests = scratch + "/manifests-\(index)"
                let wrote = try ProcessRunner.ledge(
                    ["deploy", "k8s", "--image", "registry.example/ledge/server:1", "--name", "adder", "--storage-uri", item.uri, "-o", manifests]
                        + item.options)
                #expect(wrote.status == 0, "\(wrote.stderr)")
                let runtimeFile = item.runtime.lowercased() + ".yaml"
                #expect(wrote.stdout == manifests + "/" + runtimeFile + "\n" + manifests + "/inferenceservice.yaml\n")
                let result = try await ProcessRunner.check(
                    "check_kserve_runtime.py", venv: "venv-kserve",
                    ["--manifests", manifests, "--ledge", Fixtures.ledgeExecutable, "--scratch", scratch + "/run-\(index)"])
                #expect(result.status == 0, "check_kserve_runtime.py failed: \(result.stdout)\(result.stderr)")
                let lines = result.stdout.split(separator: "\n").map(String.init)
                for line in [
                    "ok: InferenceService adder: runtime adder, format onnx of ['onnx', 'tflite'], protocol v2 of ['v1', 'v2', 'grpc-v2']",
                    "ok: storage initializer: \(item.uri.split(separator: "/").last ?? "") -> /mnt/models: \(item.folder)",
                    "ok: startup, readiness and liveness probes: 200",
                    "ok: /metrics on the annotated port: the model's series",
                    "ok: model metadata: name adder, platform onnxruntime_onnx, versions \(item.versions)",
                    "ok: infer(adder) through KServe's InferenceRESTClient: FP32 [2, 4], exactly a + b",
                    "ok: SIGTERM: exit 0",
                    "all kserve runtime checks passed",
                ] {
                    #expect(lines.contains(line), "missing line: \(line)\n\(result.stdout)")
                }
                for prefix in [
                    "ok: \(runtimeFile): a V1alpha1\(item.runtime) of kserve's API (",
                    "ok: inferenceservice.yaml: a V1beta1InferenceService of kserve's API (",
                ] {
                    #expect(lines.contains { $0.hasPrefix(prefix) }, "missing line: \(prefix)…\n\(result.stdout)")
                }
            }
        }
    }
}
