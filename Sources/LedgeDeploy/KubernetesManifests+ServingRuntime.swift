internal import LedgeCore

/// KServe's own way to a model: a ServingRuntime (the image's `ledge serve` on KServe's
/// `/mnt/models`) and an InferenceService whose `storageUri` KServe's storage initializer
/// fetches there before the server starts — every scheme it knows (`gs://`, `pvc://`, Azure,
/// `oci://` model cars…), the credentials of the predictor's ServiceAccount, one image for
/// every model.
extension KubernetesManifests {
    /// The port KServe sends a runtime's HTTP requests to (its runtimes' convention).
    public static let kservePort = 8080
    /// The gRPC port the runtime's server listens on (Triton's in KServe's runtime).
    public static let kserveGRPCPort = 9000
    /// Where KServe's storage initializer puts the model.
    public static let kserveModelFolder = "/mnt/models"
    /// The schemes KServe's storage initializer fetches (Azure's blobs and files are `https://`).
    static let storageSchemes = ["s3", "gs", "pvc", "hf", "oci", "https", "http", "hdfs", "webhdfs"]

    /// The server of every InferenceService on this runtime (a ClusterServingRuntime with
    /// ``KubernetesOptions/clusterRuntime``): its model folder (a file or an
    /// archive's contents, flat or Triton's version folders) served under the InferenceService's
    /// name (`{{.Name}}`, which KServe replaces), as KServe's V2 router asks for it.
    static func servingRuntime(_ options: KubernetesOptions) -> YAML {
        let command = [
            "/usr/bin/ledge", "serve", "--model", kserveModelFolder, "--name", "{{.Name}}", "--host", "0.0.0.0",
            "--port", String(kservePort), "--grpc-port", String(kserveGRPCPort),
        ]
        let formats: [YAML] = [
            .map([("name", "onnx"), ("version", "1"), ("autoSelect", true)]),
            .map([("name", "tflite"), ("version", "2"), ("autoSelect", true)]),
        ]
        let spec: [(String, YAML)] = [
            ("annotations", .map([("prometheus.kserve.io/port", .string(String(kservePort))), ("prometheus.kserve.io/path", "/metrics")])),
            ("supportedModelFormats", .list(formats)), ("protocolVersions", ["v1", "v2", "grpc-v2"]),
            ("containers", [container(options, name: "kserve-container", port: kservePort, command: command, inRuntime: true)]),
            ("volumes", .list(scratchVolumes)),
        ]
        return .map([
            ("apiVersion", "serving.kserve.io/v1alpha1"), ("kind", options.clusterRuntime ? "ClusterServingRuntime" : "ServingRuntime"),
            ("metadata", metadata(options, clusterScoped: options.clusterRuntime)), ("spec", .map(spec)),
        ])
    }

    /// The InferenceService of `storageURI` on the ServingRuntime of the same name: raw
    /// deployment, the runtime's resources, placement and ServiceAccount (whose Secrets give the
    /// storage initializer its credentials).
    static func runtimeInferenceService(_ options: KubernetesOptions) throws -> YAML {
        let annotations: [(String, YAML)] = [("serving.kserve.io/deploymentMode", "RawDeployment")]
        var predictor: [(String, YAML)] = [("minReplicas", .int(options.autoscale?.min ?? options.replicas))]
        if let autoscale = options.autoscale {
            predictor += [("maxReplicas", .int(autoscale.max)), ("scaleMetric", "cpu"), ("scaleTarget", .int(autoscale.cpuPercent))]
        }
        predictor += placementFields(options)
        let model: [(String, YAML)] = [
            ("modelFormat", .map([("name", .string(try modelFormat(options)))])), ("runtime", .string(options.name)),
            ("storageUri", .string(options.storageURI ?? "")), ("protocolVersion", "v2"),
            ("resources", resources(options)),
        ]
        predictor.append(("model", .map(model)))
        return .map([
            ("apiVersion", "serving.kserve.io/v1beta1"), ("kind", "InferenceService"),
            ("metadata", metadata(options, annotations: annotations)), ("spec", .map([("predictor", .map(predictor))])),
        ])
    }

    /// `--model-format`, else the storage URI's extension.
    static func modelFormat(_ options: KubernetesOptions) throws -> String {
        if let format = options.modelFormat { return format }
        let path = options.storageURI?.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        if path.hasSuffix(".onnx") { return "onnx" }
        if path.hasSuffix(".tflite") { return "tflite" }
        throw LedgeError.usage(
            "--storage-uri '\(options.storageURI ?? "")': give --model-format onnx or tflite (KServe picks the runtime by it; the URI does not end in .onnx or .tflite)"
        )
    }

    /// What `--storage-uri` goes with: KServe alone, models it fetches alone.
    static func validateStorage(_ options: KubernetesOptions) throws {
        if let format = options.modelFormat, !["onnx", "tflite"].contains(format) {
            throw LedgeError.usage("--model-format '\(format)': expected onnx or tflite")
        }
        guard let uri = options.storageURI else {
            if options.modelFormat != nil { throw LedgeError.usage("--model-format is for --storage-uri: the format KServe picks the runtime by") }
            if options.clusterRuntime { throw LedgeError.usage("--cluster-runtime is for --storage-uri: the runtime its InferenceService runs on") }
            return
        }
        let scheme = uri.firstRange(of: "://").map { String(uri[..<$0.lowerBound]) }
        guard let scheme, storageSchemes.contains(scheme), uri.count > scheme.count + 3 else {
            throw LedgeError.usage(
                "--storage-uri '\(uri)': expected a URI KServe's storage initializer fetches: "
                    + storageSchemes.map { $0 + "://" }.joined(separator: ", "))
        }
        let others = [
            ("--model-uri", !options.modelURIs.isEmpty), ("--model-repository", options.modelRepository != nil),
            ("--seldon", options.seldon), ("--daemonset", options.daemonSet),
        ]
        if let (flag, _) = others.first(where: \.1) {
            throw LedgeError.usage("--storage-uri is fetched by KServe's storage initializer for its InferenceService: \(flag) does not go with it")
        }
    }
}
