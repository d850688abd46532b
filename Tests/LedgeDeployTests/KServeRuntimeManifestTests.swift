import Foundation
import LedgeCore
import LedgeTesting
import Testing

@testable import LedgeDeploy

/// `ledge deploy k8s --storage-uri`: a ServingRuntime and an InferenceService on it, read back by
/// PyYAML; what does not go with KServe's storage initializer refused in one line. (Run against
/// KServe's own types, storage initializer and client: LedgeCLITests' KServeRuntimeTests.)
@Suite(.ownThread) struct KServeRuntimeManifestTests {
    @Test func storageURIWritesARuntimeAndAnInferenceServiceOnIt() throws {
        var options = KubernetesOptions(name: "adder", image: KubernetesManifestTests.image, placement: .selector(["ledge/tier": "edge"]))
        options.storageURI = "gs://models/vision/efficientnet_lite0.tflite"
        options.serviceAccount = "models-reader"
        options.autoscale = KubernetesOptions.Autoscale(min: 1, max: 4, cpuPercent: 60)
        options.serveArguments = ["--log-format", "json"]
        let files = try KubernetesManifests.render(options)
        #expect(files.map(\.0) == ["servingruntime.yaml", "inferenceservice.yaml"])
        let folder = try KubernetesManifestTests.write(files)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let runtime = try KubernetesManifestTests.parse(folder + "/servingruntime.yaml")
        #expect(runtime["apiVersion"] as? String == "serving.kserve.io/v1alpha1")
        #expect(runtime["kind"] as? String == "ServingRuntime")
        let spec = try #require(runtime["spec"] as? [String: Any])
        #expect(spec["protocolVersions"] as? [String] == ["v1", "v2", "grpc-v2"])
        #expect((spec["supportedModelFormats"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["onnx", "tflite"])
        #expect(spec["annotations"] as? [String: String] == ["prometheus.kserve.io/port": "8080", "prometheus.kserve.io/path": "/metrics"])
        let container = try #require((spec["containers"] as? [[String: Any]])?.first)
        #expect(
            container["command"] as? [String] == [
                "/usr/bin/ledge", "serve", "--model", "/mnt/models", "--name", "{{.Name}}", "--host", "0.0.0.0", "--port", "8080",
                "--grpc-port", "9000",
            ])
        #expect(container["args"] as? [String] == ["--log-format", "json"])
        // Unnamed: Knative (KServe's serverless mode) refuses a port named other than http1 or h2c.
        #expect((container["ports"] as? [[String: Any]])?.map { $0.keys.sorted() } == [["containerPort", "protocol"]])
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect(security["runAsNonRoot"] as? Bool == true && security["runAsUser"] as? Int == 65532)
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect((spec["volumes"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["home", "tmp"])

        let service = try KubernetesManifestTests.parse(folder + "/inferenceservice.yaml")
        let predictor = try #require((service["spec"] as? [String: Any])?["predictor"] as? [String: Any])
        #expect(predictor["serviceAccountName"] as? String == "models-reader")
        #expect(predictor["nodeSelector"] as? [String: String] == ["ledge/tier": "edge"])
        #expect(predictor["minReplicas"] as? Int == 1 && predictor["maxReplicas"] as? Int == 4 && predictor["scaleTarget"] as? Int == 60)
        #expect(predictor["containers"] == nil)
        let model = try #require(predictor["model"] as? [String: Any])
        #expect(model["modelFormat"] as? [String: String] == ["name": "tflite"])
        #expect(model["runtime"] as? String == "adder")
        #expect(model["storageUri"] as? String == "gs://models/vision/efficientnet_lite0.tflite")
        #expect(model["protocolVersion"] as? String == "v2")
    }

    @Test func whatKServesStorageDoesNotTakeIsRefused() throws {
        let base = KubernetesOptions(name: "adder", image: "r/ledge:1")
        let cases: [((inout KubernetesOptions) -> Void, String)] = [
            (
                { $0.storageURI = "file:///srv/add.onnx" },
                "--storage-uri 'file:///srv/add.onnx': expected a URI KServe's storage initializer fetches: s3://, gs://, pvc://, hf://, oci://, https://, http://, hdfs://, webhdfs://"
            ),
            (
                { $0.storageURI = "s3://models/adder/" },
                "--storage-uri 's3://models/adder/': give --model-format onnx or tflite (KServe picks the runtime by it; the URI does not end in .onnx or .tflite)"
            ),
            (
                {
                    $0.storageURI = "s3://models/adder/"; $0.modelFormat = "pytorch"
                }, "--model-format 'pytorch': expected onnx or tflite"
            ),
            ({ $0.modelFormat = "onnx" }, "--model-format is for --storage-uri: the format KServe picks the runtime by"),
            ({ $0.clusterRuntime = true }, "--cluster-runtime is for --storage-uri: the runtime its InferenceService runs on"),
            (
                {
                    $0.storageURI = "s3://models/a.onnx"; $0.seldon = true
                },
                "--storage-uri is fetched by KServe's storage initializer for its InferenceService: --seldon does not go with it"
            ),
            (
                {
                    $0.storageURI = "s3://models/a.onnx"; $0.modelURIs = ["s3://models/b.onnx"]
                },
                "--storage-uri is fetched by KServe's storage initializer for its InferenceService: --model-uri does not go with it"
            ),
            (
                {
                    $0.storageURI = "s3://models/a.onnx"; $0.authSecret = "tokens"
                },
                "--auth-secret is for the Deployment alone: KServe and Seldon call the server without a token, over HTTP"
            ),
        ]
        for (change, message) in cases {
            var options = base
            change(&options)
            #expect(throws: LedgeError.usage(message)) { try KubernetesManifests.render(options) }
        }
        var folder = base
        folder.storageURI = "s3://models/adder/"
        folder.modelFormat = "onnx"
        #expect(try KubernetesManifests.render(folder).map(\.0) == ["servingruntime.yaml", "inferenceservice.yaml"])
    }
}
