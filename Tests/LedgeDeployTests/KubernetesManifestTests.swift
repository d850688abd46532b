import Foundation
import LedgeCore
import LedgeTesting
import Testing

@testable import LedgeDeploy

/// `ledge deploy k8s`: golden files, Kubernetes' own schemas for the built-in kinds
/// (kubernetes-validate, strict), and the custom resources' structure read back by PyYAML.
@Suite(.ownThread) struct KubernetesManifestTests {
    static let image = "registry.example.com/vision/effnet:1@sha256:4c5b6f7e8d9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c"
    static let edge = KubernetesOptions(name: "effnet", image: image, placement: .node("edge-node-1"), kserve: true, seldon: true)

    static var golden: String { Fixtures.packageRoot + "/Tests/LedgeDeployTests/Golden" }

    @Test func manifestsMatchTheGoldenFiles() throws {
        let files = try KubernetesManifests.render(Self.edge)
        #expect(files.map(\.0) == ["deployment.yaml", "service.yaml", "inferenceservice.yaml", "seldondeployment.yaml"])
        for (name, text) in files {
            let expected = try String(contentsOfFile: Self.golden + "/" + name, encoding: .utf8)
            #expect(text == expected, "\(name) differs from Golden/\(name)")
        }
    }

    @Test func builtInKindsPassKubernetesValidateStrictly() throws {
        let folder = try Self.write(try KubernetesManifests.render(Self.edge))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let validate = Fixtures.home + "/venv/bin/kubernetes-validate"
        let ok = try ProcessRunner.run(validate, ["-k", "1.30.0", "--strict", folder + "/deployment.yaml", folder + "/service.yaml"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("passed for resource deployment/effnet"))
        // The check can fail: a field Kubernetes does not know is refused.
        let broken = try String(contentsOfFile: folder + "/deployment.yaml", encoding: .utf8)
            .replacingOccurrences(of: "  replicas: 1\n", with: "  replicas: 1\n  replicaCount: 2\n")
        try broken.write(toFile: folder + "/broken.yaml", atomically: true, encoding: .utf8)
        let refused = try ProcessRunner.run(validate, ["-k", "1.30.0", "--strict", folder + "/broken.yaml"])
        #expect(refused.status != 0)
    }

    /// A token from a Secret as LEDGE_AUTH_TOKEN, TLS from a `kubernetes.io/tls` Secret mounted read-only
    /// and passed after the entrypoint, HTTPS probes; Kubernetes' schemas accept it; KServe and Seldon refuse both.
    @Test func tokenAndTLSComeFromSecrets() throws {
        var options = KubernetesOptions(name: "effnet", image: Self.image, authSecret: "effnet-token", tlsSecret: "effnet-tls")
        let folder = try Self.write(try KubernetesManifests.render(options))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let deployment = try Self.parse(folder + "/deployment.yaml")
        let pod = try #require(((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        #expect(container["command"] == nil)
        #expect(
            container["args"] as? [String] == [
                "--tls-cert", "/etc/ledge/tls/tls.crt", "--tls-key", "/etc/ledge/tls/tls.key", "--auth-token-file", "/etc/ledge/auth/token",
            ])
        #expect(container["env"] == nil)
        for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
            let get = (container[probe] as? [String: Any])?["httpGet"] as? [String: Any]
            #expect(get?["scheme"] as? String == "HTTPS", "\(probe)")
        }
        // Whole-Secret mounts (no subPath): kubelet updates them in place when a Secret rotates.
        let mounts = container["volumeMounts"] as? [[String: Any]] ?? []
        let volumes = pod["volumes"] as? [[String: Any]] ?? []
        for (volume, folder, secretName) in [("tls", "/etc/ledge/tls", "effnet-tls"), ("auth", "/etc/ledge/auth", "effnet-token")] {
            let mount = mounts.first { $0["name"] as? String == volume }
            #expect(mount?["mountPath"] as? String == folder && mount?["readOnly"] as? Bool == true && mount?["subPath"] == nil, "\(volume)")
            let secret = volumes.first { $0["name"] as? String == volume }?["secret"] as? [String: Any]
            #expect(secret?["secretName"] as? String == secretName)
            #expect(secret?["defaultMode"] as? Int == 0o440)
        }
        let validate = Fixtures.home + "/venv/bin/kubernetes-validate"
        let ok = try ProcessRunner.run(validate, ["-k", "1.30.0", "--strict", folder + "/deployment.yaml"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")

        options.kserve = true
        let refused = try #require(throws: LedgeError.self) { try KubernetesManifests.render(options) }
        #expect(refused.message == "--auth-secret is for the Deployment alone: KServe and Seldon call the server without a token, over HTTP")
        options.kserve = false
        options.tlsSecret = "Bad_Name"
        let named = try #require(throws: LedgeError.self) { try KubernetesManifests.render(options) }
        #expect(named.message == "--tls-secret 'Bad_Name': expected a Secret name (lower-case letters, digits, '-' and '.')")
    }

    /// The pod's ServiceAccount and Secrets' keys as the server's environment (no secret value in
    /// the manifest); Kubernetes' schemas accept both, and KServe's predictor and Seldon's component
    /// carry them too.
    @Test func serviceAccountAndSecretEnvironment() throws {
        var options = KubernetesOptions(name: "effnet", image: Self.image, kserve: true, seldon: true)
        options.serviceAccount = "ledge-models"
        options.environmentSecrets = ["otlp-headers", "proxy-settings"]
        options.serveArguments = ["--log-format", "json"]
        let folder = try Self.write(try KubernetesManifests.render(options))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let deployment = try Self.parse(folder + "/deployment.yaml")
        let pod = try #require(((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["serviceAccountName"] as? String == "ledge-models")
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let envFrom = container["envFrom"] as? [[String: Any]] ?? []
        #expect(envFrom.compactMap { ($0["secretRef"] as? [String: Any])?["name"] as? String } == ["otlp-headers", "proxy-settings"])
        #expect(container["args"] as? [String] == ["--log-format", "json"])
        let ok = try ProcessRunner.run(
            Fixtures.home + "/venv/bin/kubernetes-validate", ["-k", "1.30.0", "--strict", folder + "/deployment.yaml"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        for file in ["inferenceservice.yaml", "seldondeployment.yaml"] {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            #expect(text.contains("serviceAccountName: ledge-models") && text.contains("name: otlp-headers"), "\(file)")
        }
        options.serviceAccount = "Ledge_Models"
        #expect(
            throws: LedgeError.usage("--service-account 'Ledge_Models': expected a ServiceAccount name (lower-case letters, digits, '-' and '.')")
        ) {
            try KubernetesManifests.render(options)
        }
        options.serviceAccount = nil
        options.environmentSecrets = ["bad secret"]
        #expect(throws: LedgeError.usage("--env-from-secret 'bad secret': expected a Secret name (lower-case letters, digits, '-' and '.')")) {
            try KubernetesManifests.render(options)
        }
    }

    @Test func customResourcesHaveTheStructureKServeAndSeldonExpect() throws {
        let folder = try Self.write(try KubernetesManifests.render(Self.edge))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let isvc = try Self.parse(folder + "/inferenceservice.yaml")
        #expect(isvc["apiVersion"] as? String == "serving.kserve.io/v1beta1")
        #expect(isvc["kind"] as? String == "InferenceService")
        #expect((isvc["metadata"] as? [String: Any])?["annotations"] as? [String: String] == ["serving.kserve.io/deploymentMode": "RawDeployment"])
        let predictor = try #require((isvc["spec"] as? [String: Any])?["predictor"] as? [String: Any])
        #expect(predictor["nodeName"] as? String == "edge-node-1")
        let container = try #require((predictor["containers"] as? [[String: Any]])?.first)
        #expect(container["name"] as? String == "kserve-container")
        #expect(container["image"] as? String == Self.image)
        #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == 8000)

        let sdep = try Self.parse(folder + "/seldondeployment.yaml")
        #expect(sdep["apiVersion"] as? String == "machinelearning.seldon.io/v1")
        let spec = try #require(sdep["spec"] as? [String: Any])
        #expect(spec["protocol"] as? String == "v2")
        let predictors = try #require(spec["predictors"] as? [[String: Any]])
        let graph = try #require(predictors.first?["graph"] as? [String: Any])
        let podSpec = try #require(((predictors.first?["componentSpecs"] as? [[String: Any]])?.first?["spec"]) as? [String: Any])
        let server = try #require((podSpec["containers"] as? [[String: Any]])?.first)
        // Seldon finds the graph's model by container name and calls it on the endpoint's port.
        #expect(graph["name"] as? String == server["name"] as? String)
        #expect(graph["type"] as? String == "MODEL")
        let port = try #require((graph["endpoint"] as? [String: Any])?["httpPort"] as? Int)
        #expect((server["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == port)
        // HTTP only on Seldon's port: the custom server takes one.
        #expect((server["command"] as? [String])?.suffix(3) == ["--port", String(port), "--no-grpc"])
        #expect(podSpec["nodeName"] as? String == "edge-node-1")
        #expect((podSpec["tolerations"] as? [[String: String]])?.first?["key"] == "node-role.kubernetes.io/edge")
    }

    /// Models from URIs or an S3 repository replace the image's `/models` in the command of every
    /// container (the Deployment's, KServe's and Seldon's on its port), with a startup probe that
    /// allows 5 minutes for the download; Kubernetes' schemas accept it; what a pod cannot reach
    /// is refused in one line.
    @Test func modelsFromURIsReplaceTheImagesModels() throws {
        let pin = "#sha256=" + String(repeating: "0f", count: 32)
        var options = KubernetesOptions(name: "effnet", image: Self.image, kserve: true, seldon: true)
        options.modelURIs = ["s3://models/vision/efficientnet_lite0.tflite" + pin, "https://models.example.com/add.onnx"]
        options.environmentSecrets = ["s3-credentials"]
        let folder = try Self.write(try KubernetesManifests.render(options))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let deployment = try Self.parse(folder + "/deployment.yaml")
        let pod = try #require(((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let models = ["--model-uri", "s3://models/vision/efficientnet_lite0.tflite" + pin, "--model-uri", "https://models.example.com/add.onnx"]
        #expect(container["command"] as? [String] == ["/usr/bin/ledge", "serve"] + models + ["--host", "0.0.0.0", "--port", "8000"])
        #expect(container["args"] == nil)
        #expect((container["startupProbe"] as? [String: Any])?["failureThreshold"] as? Int == 150)
        #expect((container["readinessProbe"] as? [String: Any])?["failureThreshold"] as? Int == 3)
        let ok = try ProcessRunner.run(
            Fixtures.home + "/venv/bin/kubernetes-validate", ["-k", "1.30.0", "--strict", folder + "/deployment.yaml"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        let seldon = try Self.parse(folder + "/seldondeployment.yaml")
        let predictor = ((seldon["spec"] as? [String: Any])?["predictors"] as? [[String: Any]])?.first
        let component = (predictor?["componentSpecs"] as? [[String: Any]])?.first?["spec"] as? [String: Any]
        let seldonContainer = (component?["containers"] as? [[String: Any]])?.first
        #expect(
            seldonContainer?["command"] as? [String]
                == ["/usr/bin/ledge", "serve"] + models + ["--host", "0.0.0.0", "--port", "9000", "--no-grpc"])
        let kserve = try String(contentsOfFile: folder + "/inferenceservice.yaml", encoding: .utf8)
        #expect(kserve.contains("- https://models.example.com/add.onnx\n"), "\(kserve)")

        options.modelURIs = []
        options.modelRepository = "s3://models/edge"
        let repository = try KubernetesManifests.render(options)
        #expect(
            repository[0].1.contains(
                "- /usr/bin/ledge\n        - serve\n        - \"--model-repository\"\n        - s3://models/edge\n        - \"--host\"\n"))

        let refusals: [([String], String?, String)] = [
            (
                ["file:///srv/m.onnx"], nil,
                "--model-uri 'file:///srv/m.onnx': a file of this machine is not in the pod; expected https://, http://, s3://, gs:// or hf://"
            ),
            (
                ["azure://models/m.onnx"], nil,
                "model URI 'azure://models/m.onnx': expected https://, http://, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO/PATH or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>"
            ),
            (
                [], "models/edge",
                "--model-repository 'models/edge': expected s3://BUCKET/PREFIX or gs://BUCKET/PREFIX (a folder of this machine is not in the pod: 'ledge package' puts it in the image)"
            ),
            ([], "s3://x", "model repository 's3://x': expected s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]"),
            (["s3://models/m.onnx"], "s3://models/edge", "give either --model-uri URI or --model-repository s3://BUCKET/PREFIX, not both"),
        ]
        for (uris, repository, message) in refusals {
            options.modelURIs = uris
            options.modelRepository = repository
            #expect(throws: LedgeError.usage(message)) { try KubernetesManifests.render(options) }
        }
    }

    /// `--daemonset`: one pod on every node the selector picks (KubeEdge's edge nodes), the same pod
    /// as the Deployment's, replaced one node at a time; Kubernetes' schemas accept it; a node name
    /// or replicas refused in one line.
    @Test func daemonSetRunsOnEverySelectedNode() throws {
        var options = KubernetesOptions(name: "effnet", image: Self.image, placement: .selector(["node-role.kubernetes.io/edge": ""]))
        options.daemonSet = true
        let files = try KubernetesManifests.render(options)
        #expect(files.map(\.0) == ["daemonset.yaml", "service.yaml"])
        let folder = try Self.write(files)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemonSet = try Self.parse(folder + "/daemonset.yaml")
        #expect(daemonSet["kind"] as? String == "DaemonSet")
        let spec = try #require(daemonSet["spec"] as? [String: Any])
        #expect(spec["replicas"] == nil)
        #expect((spec["updateStrategy"] as? [String: Any])?["type"] as? String == "RollingUpdate")
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["nodeSelector"] as? [String: String] == ["node-role.kubernetes.io/edge": ""])
        #expect((pod["tolerations"] as? [[String: Any]])?.first?["key"] as? String == "node-role.kubernetes.io/edge")
        // The same pod as the Deployment's.
        options.daemonSet = false
        try KubernetesManifests.render(options)[0].1.write(toFile: folder + "/deployment.yaml", atomically: true, encoding: .utf8)
        let deployment = try Self.parse(folder + "/deployment.yaml")
        let deploymentPod = ((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
        #expect(NSDictionary(dictionary: pod).isEqual(to: deploymentPod ?? [:]))
        let ok = try ProcessRunner.run(
            Fixtures.home + "/venv/bin/kubernetes-validate", ["-k", "1.30.0", "--strict", folder + "/daemonset.yaml", folder + "/service.yaml"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("passed for resource daemonset/effnet"), "\(ok.stdout)")

        options.daemonSet = true
        options.placement = .node("edge-1")
        #expect(throws: LedgeError.usage("--daemonset runs a pod on every node it selects: give --selector KEY=VALUE, not --node")) {
            try KubernetesManifests.render(options)
        }
        options.placement = .anywhere
        options.replicas = 2
        #expect(throws: LedgeError.usage("--daemonset runs one pod per node: --replicas does not apply")) { try KubernetesManifests.render(options) }
    }

    /// `--autoscale 2,10,60`: a HorizontalPodAutoscaler (autoscaling/v2) for the Deployment, which
    /// leaves its replicas to it; Kubernetes' schemas accept both; bounds out of range refused.
    @Test func autoscalerScalesTheDeploymentByCPU() throws {
        var options = KubernetesOptions(name: "effnet", image: Self.image)
        options.autoscale = KubernetesOptions.Autoscale(min: 2, max: 10, cpuPercent: 60)
        let files = try KubernetesManifests.render(options)
        #expect(files.map(\.0) == ["deployment.yaml", "service.yaml", "horizontalpodautoscaler.yaml"])
        let folder = try Self.write(files)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let deployment = try Self.parse(folder + "/deployment.yaml")
        #expect((deployment["spec"] as? [String: Any])?["replicas"] == nil)
        let autoscaler = try Self.parse(folder + "/horizontalpodautoscaler.yaml")
        let spec = try #require(autoscaler["spec"] as? [String: Any])
        #expect((spec["scaleTargetRef"] as? [String: String]) == ["apiVersion": "apps/v1", "kind": "Deployment", "name": "effnet"])
        #expect(spec["minReplicas"] as? Int == 2 && spec["maxReplicas"] as? Int == 10)
        let target = (((spec["metrics"] as? [[String: Any]])?.first?["resource"] as? [String: Any])?["target"] as? [String: Any])
        #expect(target?["averageUtilization"] as? Int == 60)
        let ok = try ProcessRunner.run(
            Fixtures.home + "/venv/bin/kubernetes-validate",
            ["-k", "1.30.0", "--strict", folder + "/deployment.yaml", folder + "/horizontalpodautoscaler.yaml"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("passed for resource horizontalpodautoscaler/effnet"), "\(ok.stdout)")

        options.kserve = true
        let kserve = try KubernetesManifests.render(options).first { $0.0 == "inferenceservice.yaml" }?.1 ?? ""
        #expect(kserve.contains("    minReplicas: 2\n    maxReplicas: 10\n    scaleMetric: cpu\n    scaleTarget: 60\n"), "\(kserve)")
        options.kserve = false
        options.autoscale = KubernetesOptions.Autoscale(min: 5, max: 2)
        #expect(throws: LedgeError.usage("--autoscale 5,2,70: expected MIN,MAX[,CPU%] with 1 <= MIN <= MAX <= 1000 and CPU% 1-100")) {
            try KubernetesManifests.render(options)
        }
        options.autoscale = KubernetesOptions.Autoscale(min: 1, max: 3)
        options.daemonSet = true
        #expect(throws: LedgeError.usage("--autoscale is for a Deployment: a DaemonSet runs one pod per node")) {
            try KubernetesManifests.render(options)
        }
        let bad = try ProcessRunner.ledge(["deploy", "k8s", "--image", "r/effnet:1", "--autoscale", "2"])
        #expect(bad.status == 2 && bad.stderr == "error: --autoscale '2': expected MIN,MAX[,CPU%], as 2,10,70\n", "\(bad.stderr)")
    }

    @Test func selectorPlacementAndQuotingReadBackAsWritten() throws {
        var options = Self.edge
        // YAML would read yes and 1.0 as a bool and a number unquoted.
        options.placement = .selector(["kubernetes.io/arch": "arm64", "ledge/tier": "yes", "ledge/version": "1.0"])
        options.kserve = false
        options.seldon = false
        let folder = try Self.write(try KubernetesManifests.render(options))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let deployment = try Self.parse(folder + "/deployment.yaml")
        let pod = try #require(((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["nodeSelector"] as? [String: String] == ["kubernetes.io/arch": "arm64", "ledge/tier": "yes", "ledge/version": "1.0"])
        #expect(pod["nodeName"] == nil)
        let annotations = ((deployment["spec"] as? [String: Any])?["template"] as? [String: Any]).flatMap {
            ($0["metadata"] as? [String: Any])?["annotations"] as? [String: String]
        }
        #expect(annotations?["prometheus.io/port"] == "8000")  // a string, not a number
    }

    @Test func badNamesAreRefusedWithOneLine() throws {
        var options = Self.edge
        options.name = "Effnet_Lite"
        let error = try #require(throws: LedgeError.self) { try KubernetesManifests.render(options) }
        #expect(error.code == .usage)
        #expect(error.message == "name 'Effnet_Lite': expected a DNS-1123 label (lower-case letters, digits and '-', at most 63)")
        // A node, a selector or an image the cluster or a registry would refuse (they were written as given).
        let label = "(letters, digits, '-', '_' and '.', at most 63 each; a key may have a DNS prefix and '/')"
        let long = String(repeating: "v", count: 64)
        let cases: [(Placement, String, String)] = [
            (.node("Node_1"), Self.image, "--node 'Node_1': expected a node name (lower-case letters, digits, '-' and '.', at most 253)"),
            (.node(""), Self.image, "--node '': expected a node name (lower-case letters, digits, '-' and '.', at most 253)"),
            (.selector(["k": long]), Self.image, "--selector 'k=\(long)': expected a label KEY=VALUE as Kubernetes takes them \(label)"),
            (.selector(["a/b/c": "v"]), Self.image, "--selector 'a/b/c=v': expected a label KEY=VALUE as Kubernetes takes them \(label)"),
            (
                .anywhere, "r.example.com/x/UPPER_Case:1",
                "image 'r.example.com/x/UPPER_Case:1': expected REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], the repository in lower case"
            ),
        ]
        for (placement, image, message) in cases {
            var bad = KubernetesOptions(name: "effnet", image: image, placement: placement)
            bad.kserve = false
            #expect(throws: LedgeError.usage(message)) { try KubernetesManifests.render(bad) }
        }
        var fine = KubernetesOptions(name: "effnet", image: "127.0.0.1:5000/ledge/add:v1", placement: .selector(["node-role.kubernetes.io/edge": ""]))
        fine.kserve = false
        _ = try KubernetesManifests.render(fine)
    }

    @Test func commandWritesTheFolderAndReadsAPackageResult() throws {
        let folder = NSTemporaryDirectory() + "ledge-k8s-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let result = #"{"destination": "127.0.0.1:5000/ledge/effnet:1", "indexDigest": "sha256:\#(String(repeating: "ab", count: 32))"}"#
        try result.write(toFile: folder + "/result.json", atomically: true, encoding: .utf8)
        let run = try ProcessRunner.ledge([
            "deploy", "k8s", "--from-package", folder + "/result.json", "--node", "edge-1", "-o", folder + "/out", "--serve-arg", "--log-format",
            "--serve-arg", "json", "--serve-arg=--trace-config=mode=opentelemetry", "--serve-env", "MALLOC_ARENA_MAX=4", "--serve-env",
            "OTEL_EXPORTER_OTLP_HEADERS=x-key=a b",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let deployment = try Self.parse(folder + "/out/deployment.yaml")
        let pod = ((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
        let container = (pod?["containers"] as? [[String: Any]])?.first
        #expect(container?["image"] as? String == "127.0.0.1:5000/ledge/effnet:1@sha256:" + String(repeating: "ab", count: 32))
        // --serve-arg: after the image's entrypoint, as given (values may start with '-').
        #expect(container?["args"] as? [String] == ["--log-format", "json", "--trace-config=mode=opentelemetry"])
        // --serve-env: the container's environment, every value a string (4 is "4").
        let environment = (container?["env"] as? [[String: Any]])?.map { "\($0["name"] as? String ?? "?")=\($0["value"] as? String ?? "?")" }
        #expect(environment == ["MALLOC_ARENA_MAX=4", "OTEL_EXPORTER_OTLP_HEADERS=x-key=a b"])
        let reserved = try ProcessRunner.ledge(["deploy", "k8s", "--image", "r/effnet:1", "--serve-env", "LD_LIBRARY_PATH=/x"])
        #expect(reserved.status == 2)
        #expect(
            reserved.stderr.hasPrefix(
                "Error: --serve-env LD_LIBRARY_PATH: set by the release (its own libraries and runtimes); expected another variable\n"),
            "\(reserved.stderr)")
        let managed = try ProcessRunner.ledge(["deploy", "k8s", "--image", "r/effnet:1", "--serve-arg", "--port=9000"])
        #expect(managed.status == 2)
        #expect(
            managed.stderr.hasPrefix(
                "Error: --serve-arg '--port=9000': '--port' is set by the manifests (the image's command, --model-uri, --model-repository, --auth-secret, --tls-secret); expected other ledge serve options\n"
            ), "\(managed.stderr)")
        #expect((deployment["metadata"] as? [String: Any])?["name"] as? String == "effnet")
        let missing = try ProcessRunner.ledge(["deploy", "k8s", "--from-package", folder + "/nope.json"])
        #expect(missing.status == 3)
        #expect(missing.stderr == "error: package result not found: \(folder)/nope.json\n")
    }

    /// The manifests in a temporary folder.
    static func write(_ files: [(String, String)]) throws -> String {
        let folder = NSTemporaryDirectory() + "ledge-k8s-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        return folder
    }

    /// A YAML file as PyYAML reads it (safe_load), through JSON.
    static func parse(_ path: String) throws -> [String: Any] {
        let run = try ProcessRunner.run(
            Fixtures.home + "/venv/bin/python", ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path])
        guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw LedgeError.invalidInput("PyYAML could not read \(path): \(run.stderr)")
        }
        return object
    }
}
