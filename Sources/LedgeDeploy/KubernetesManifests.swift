internal import LedgeCore
internal import LedgeFetch
internal import LedgePackage

/// Where pods go: anywhere, on one node (`nodeName`, as KubeEdge edge nodes are usually
/// addressed), or on nodes with labels.
public enum Placement: Sendable, Hashable {
    case anywhere
    case node(String)
    case selector([String: String])
}

/// What `ledge deploy k8s` writes manifests for.
public struct KubernetesOptions: Sendable, Hashable {
    /// The app's name: metadata.name of every object, and the pod label.
    public var name: String
    /// The image, by digest when `ledge package` gave one (`REPO:TAG@sha256:…`).
    public var image: String
    public var namespace: String?
    public var replicas: Int
    public var placement: Placement
    /// CPU and memory requests and limits (`500m`, `2`, `256Mi`, `1Gi`).
    public var cpuRequest: String
    public var cpuLimit: String
    public var memoryRequest: String
    public var memoryLimit: String
    /// Also a KServe InferenceService and a SeldonDeployment.
    public var kserve: Bool
    public var seldon: Bool
    /// A Secret whose key `token` holds the bearer tokens the server accepts, one per line (mounted, `--auth-token-file`).
    public var authSecret: String?
    /// A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`): the server serves HTTPS only, the probes too.
    public var tlsSecret: String?
    /// More `ledge serve` arguments, after the image's (``ServeArguments``).
    public var serveArguments: [String] = []
    /// The container's environment variables (``ServeEnvironment``), as plain values: keep an API
    /// key in a Secret of your own and add it with `valueFrom`.
    public var serveEnvironment: [ServeEnvironment.Variable] = []
    /// The pod's ServiceAccount (`serviceAccountName`): its image pull secrets, its RBAC, the
    /// cloud role a cluster gives it.
    public var serviceAccount: String?
    /// Secrets whose keys become the server's environment (`envFrom`): a collector's API key in
    /// `OTEL_EXPORTER_OTLP_HEADERS`, a proxy's credentials in `https_proxy`, without their values
    /// in the manifest.
    public var environmentSecrets: [String] = []
    /// Models the server fetches when it starts (`https://`, `http://`, `s3://`, `gs://`, `hf://`, optionally
    /// `#sha256=` pinned) instead of the image's `/models`: the image's command is replaced, so an
    /// image of the server alone (`ledge package --runtime …`) serves them.
    public var modelURIs: [String] = []
    /// An `s3://BUCKET/PREFIX` or `gs://BUCKET/PREFIX` model repository the server mirrors instead of the image's `/models`.
    public var modelRepository: String?
    /// A DaemonSet instead of a Deployment: one pod on every node the placement selects (every
    /// edge node of a label, as KubeEdge fleets run an app), updated one node at a time.
    public var daemonSet = false
    /// A HorizontalPodAutoscaler for the Deployment (which then leaves `replicas` to it).
    public var autoscale: Autoscale?
    /// A model KServe's storage initializer fetches into `/mnt/models` (`s3://`, `gs://`, `pvc://`,
    /// `hf://`, `oci://`, `https://`…): the manifests are then a ServingRuntime for the image and an
    /// InferenceService of the model on it, nothing else (``KubernetesManifests/servingRuntime(_:)``).
    public var storageURI: String?
    /// The InferenceService's `modelFormat` (`onnx` or `tflite`); `nil`: from `storageURI`'s extension.
    public var modelFormat: String?
    /// The runtime as a ClusterServingRuntime (every namespace's InferenceServices may use it, as
    /// KServe's own runtimes are installed) instead of a ServingRuntime in `namespace`.
    public var clusterRuntime = false

    /// Between `min` and `max` pods, keeping their CPU use near `cpuPercent` of the request.
    public struct Autoscale: Sendable, Hashable {
        public var min: Int
        public var max: Int
        public var cpuPercent: Int

        public init(min: Int, max: Int, cpuPercent: Int = 70) {
            self.min = min
            self.max = max
            self.cpuPercent = cpuPercent
        }
    }

    public init(
        name: String, image: String, namespace: String? = nil, replicas: Int = 1, placement: Placement = .anywhere,
        cpuRequest: String = "500m", cpuLimit: String = "2", memoryRequest: String = "256Mi", memoryLimit: String = "1Gi",
        kserve: Bool = false, seldon: Bool = false, authSecret: String? = nil, tlsSecret: String? = nil
    ) {
        self.authSecret = authSecret
        self.tlsSecret = tlsSecret
        self.name = name
        self.image = image
        self.namespace = namespace
        self.replicas = replicas
        self.placement = placement
        self.cpuRequest = cpuRequest
        self.cpuLimit = cpuLimit
        self.memoryRequest = memoryRequest
        self.memoryLimit = memoryLimit
        self.kserve = kserve
        self.seldon = seldon
    }
}

/// Kubernetes and KubeEdge manifests for an image `ledge package` made: a Deployment and a
/// Service (V2 health probes, resources, non-root, read-only root filesystem, placement and
/// the edge toleration), optionally a KServe InferenceService (custom container, V2
/// protocol, raw deployment) and a Seldon Core v1 SeldonDeployment (custom server, V2
/// protocol). Written in a fixed order, so the same options give the same files.
public enum KubernetesManifests {
    /// The port `ledge serve` listens on in the image.
    public static let port = 8000
    /// The gRPC port of the server in the pod (`ledge serve`'s default beside 8000).
    public static let grpcPort = 8001
    /// Where the TLS Secret is mounted in the container.
    static let tlsFolder = "/etc/ledge/tls"
    /// Where the token Secret is mounted in the container (its key `token` a file there).
    static let authFolder = "/etc/ledge/auth"
    /// The port Seldon's orchestrator calls a custom server on.
    public static let seldonPort = 9000

    /// `(file name, YAML text)` pairs, in the order to apply them.
    public static func render(_ options: KubernetesOptions) throws -> [(String, String)] {
        try validate(options)
        if options.storageURI != nil {
            let runtime = options.clusterRuntime ? "clusterservingruntime.yaml" : "servingruntime.yaml"
            return [(runtime, servingRuntime(options).text()), ("inferenceservice.yaml", try runtimeInferenceService(options).text())]
        }
        var files = [
            options.daemonSet ? ("daemonset.yaml", daemonSet(options).text()) : ("deployment.yaml", deployment(options).text()),
            ("service.yaml", service(options).text()),
        ]
        if options.autoscale != nil { files.append(("horizontalpodautoscaler.yaml", autoscaler(options).text())) }
        if options.kserve { files.append(("inferenceservice.yaml", inferenceService(options).text())) }
        if options.seldon { files.append(("seldondeployment.yaml", seldonDeployment(options).text())) }
        return files
    }

    /// A node name (DNS-1123 subdomain), and label keys and values as Kubernetes takes them: what
    /// the cluster would refuse is refused here.
    static func validate(_ placement: Placement, subdomain: Regex<(Substring, Substring?)>) throws {
        switch placement {
        case .anywhere:
            return
        case .node(let node):
            guard node.wholeMatch(of: subdomain) != nil else {
                throw LedgeError.usage("--node '\(node)': expected a node name (lower-case letters, digits, '-' and '.', at most 253)")
            }
        case .selector(let labels):
            let name = #/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?/#
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: "/", omittingEmptySubsequences: false)
                let keyOK =
                    parts.count == 1
                    ? key.wholeMatch(of: name) != nil
                    : parts.count == 2 && parts[0].wholeMatch(of: subdomain) != nil && parts[1].wholeMatch(of: name) != nil
                guard keyOK, value.isEmpty || value.wholeMatch(of: name) != nil else {
                    throw LedgeError.usage(
                        "--selector '\(key)=\(value)': expected a label KEY=VALUE as Kubernetes takes them (letters, digits, '-', '_' and '.', at most 63 each; a key may have a DNS prefix and '/')"
                    )
                }
            }
        }
    }

    /// Whether image reference `image` (a digest after `@` aside) is one a registry takes, as
    /// ``RegistryReference`` reads `--push` references: a lower-case repository, a valid tag.
    static func repositoryIsValid(_ image: String) -> Bool {
        let named = image.split(separator: "@", maxSplits: 1).first.map(String.init) ?? image
        return (try? RegistryReference(parsing: named)) != nil
    }

    static func validate(_ options: KubernetesOptions) throws {
        let dns = #/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/#
        guard options.name.wholeMatch(of: dns) != nil else {
            throw LedgeError.usage("name '\(options.name)': expected a DNS-1123 label (lower-case letters, digits and '-', at most 63)")
        }
        if let namespace = options.namespace, namespace.wholeMatch(of: dns) == nil {
            throw LedgeError.usage("namespace '\(namespace)': expected a DNS-1123 label")
        }
        guard !options.image.isEmpty, !options.image.contains(where: \.isWhitespace), Self.repositoryIsValid(options.image) else {
            throw LedgeError.usage(
                "image '\(options.image)': expected REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], the repository in lower case")
        }
        let subdomain = #/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/#
        try validate(options.placement, subdomain: subdomain)
        if let account = options.serviceAccount, account.wholeMatch(of: subdomain) == nil {
            throw LedgeError.usage("--service-account '\(account)': expected a ServiceAccount name (lower-case letters, digits, '-' and '.')")
        }
        for secret in options.environmentSecrets where secret.wholeMatch(of: subdomain) == nil {
            throw LedgeError.usage("--env-from-secret '\(secret)': expected a Secret name (lower-case letters, digits, '-' and '.')")
        }
        for (flag, secret) in [("--auth-secret", options.authSecret), ("--tls-secret", options.tlsSecret)] {
            guard let secret else { continue }
            guard secret.wholeMatch(of: subdomain) != nil else {
                throw LedgeError.usage("\(flag) '\(secret)': expected a Secret name (lower-case letters, digits, '-' and '.')")
            }
            // Their callers (KServe's router, Seldon's orchestrator) send plain HTTP without the token.
            if options.kserve || options.seldon || options.storageURI != nil {
                throw LedgeError.usage("\(flag) is for the Deployment alone: KServe and Seldon call the server without a token, over HTTP")
            }
        }
        if !options.modelURIs.isEmpty && options.modelRepository != nil {
            throw LedgeError.usage("give either --model-uri URI or --model-repository s3://BUCKET/PREFIX, not both")
        }
        for uri in options.modelURIs {
            if case .file = try ModelURI(parsing: uri).location {
                throw LedgeError.usage(
                    "--model-uri '\(uri)': a file of this machine is not in the pod; expected https://, http://, s3://, gs:// or hf://")
            }
        }
        if let repository = options.modelRepository {
            guard RepositoryMirror.isStore(repository) else {
                throw LedgeError.usage(
                    "--model-repository '\(repository)': expected s3://BUCKET/PREFIX or gs://BUCKET/PREFIX (a folder of this machine is not in the pod: 'ledge package' puts it in the image)"
                )
            }
            _ = try RepositoryMirror.parse(repository)
        }
        if options.daemonSet {
            if case .node = options.placement {
                throw LedgeError.usage("--daemonset runs a pod on every node it selects: give --selector KEY=VALUE, not --node")
            }
            if options.replicas != 1 { throw LedgeError.usage("--daemonset runs one pod per node: --replicas does not apply") }
        }
        if let autoscale = options.autoscale {
            if options.daemonSet { throw LedgeError.usage("--autoscale is for a Deployment: a DaemonSet runs one pod per node") }
            guard 1 <= autoscale.min, autoscale.min <= autoscale.max, autoscale.max <= 1000, (1...100).contains(autoscale.cpuPercent) else {
                throw LedgeError.usage(
                    "--autoscale \(autoscale.min),\(autoscale.max),\(autoscale.cpuPercent): expected MIN,MAX[,CPU%] with 1 <= MIN <= MAX <= 1000 and CPU% 1-100"
                )
            }
        }
        try validateStorage(options)
        guard (1...1000).contains(options.replicas) else {
            throw LedgeError.usage("replicas must be between 1 and 1000, got \(options.replicas)")
        }
    }

    /// `clusterScoped`: no namespace.
    static func metadata(_ options: KubernetesOptions, annotations: [(String, YAML)] = [], clusterScoped: Bool = false) -> YAML {
        var pairs: [(String, YAML)] = [("name", .string(options.name))]
        if let namespace = options.namespace, !clusterScoped { pairs.append(("namespace", .string(namespace))) }
        pairs.append(("labels", labels(options)))
        if !annotations.isEmpty { pairs.append(("annotations", .map(annotations))) }
        return .map(pairs)
    }

    private static func labels(_ options: KubernetesOptions) -> YAML {
        .map([("app.kubernetes.io/name", .string(options.name)), ("app.kubernetes.io/managed-by", "ledge")])
    }

    /// The pod spec shared by the Deployment, the InferenceService's predictor and Seldon's component.
    static func podFields(_ options: KubernetesOptions, container: YAML) -> [(String, YAML)] {
        var fields = placementFields(options)
        fields.append(
            (
                "securityContext",
                .map([
                    ("runAsNonRoot", true), ("runAsUser", 65532), ("runAsGroup", 65532), ("fsGroup", 65532),
                    ("seccompProfile", .map([("type", "RuntimeDefault")])),
                ])
            ))
        fields.append(("containers", [container]))
        // The root filesystem is read-only: the probe and ONNX graph caches ($HOME) and /tmp are scratch volumes.
        var volumes = scratchVolumes
        // 0440 with the pod's fsGroup: the non-root server reads its key and token, nobody else.
        // Mounted whole (no subPath), so kubelet brings a rotated Secret into the pod; the server
        // reads the files again (--credentials-poll-secs) and serves the new ones without a restart.
        if let secret = options.tlsSecret {
            volumes.append(.map([("name", "tls"), ("secret", .map([("secretName", .string(secret)), ("defaultMode", 288)]))]))
        }
        if let secret = options.authSecret {
            volumes.append(.map([("name", "auth"), ("secret", .map([("secretName", .string(secret)), ("defaultMode", 288)]))]))
        }
        fields.append(("volumes", .list(volumes)))
        return fields
    }

    /// `$HOME` (the probe and graph caches) and `/tmp`, beside a read-only root filesystem.
    static let scratchVolumes: [YAML] = [.map([("name", "home"), ("emptyDir", .map([]))]), .map([("name", "tmp"), ("emptyDir", .map([]))])]

    /// The ServiceAccount and where the pods go (with KubeEdge's edge toleration when placed).
    static func placementFields(_ options: KubernetesOptions) -> [(String, YAML)] {
        var fields: [(String, YAML)] = []
        if let account = options.serviceAccount { fields.append(("serviceAccountName", .string(account))) }
        switch options.placement {
        case .anywhere: break
        case .node(let node): fields.append(("nodeName", .string(node)))
        case .selector(let labels): fields.append(("nodeSelector", .map(labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        if options.placement != .anywhere {
            // KubeEdge taints its edge nodes; without this toleration nothing is scheduled there.
            fields.append(
                ("tolerations", [.map([("key", "node-role.kubernetes.io/edge"), ("operator", "Exists"), ("effect", "NoSchedule")])]))
        }
        return fields
    }

    /// The `ledge serve` container; `port` other than 8000 (serving HTTP only) and models from
    /// URIs replace the image's command. With `grpc`, the gRPC port (8001) is a container port too (not for
    /// KServe, whose custom container takes one port).
    /// `command` replaces the image's whatever the rest says.
    /// For a ServingRuntime's container (`inRuntime`), its security context also says who it runs
    /// as (a ServingRuntime has no pod's), and its port is unnamed (Knative, KServe's serverless
    /// mode, takes only http1 or h2c).
    static func container(
        _ options: KubernetesOptions, name: String, port: Int, grpc: Bool = false, command: [String]? = nil, inRuntime: Bool = false
    ) -> YAML {
        var fields: [(String, YAML)] = [("name", .string(name)), ("image", .string(options.image)), ("imagePullPolicy", "IfNotPresent")]
        let fetches = !options.modelURIs.isEmpty || options.modelRepository != nil
        if let command {
            fields.append(("command", .list(command.map(YAML.string))))
        } else if port != Self.port || fetches {
            let models: [String] =
                fetches
                ? options.modelURIs.flatMap { ["--model-uri", $0] } + (options.modelRepository.map { ["--model-repository", $0] } ?? [])
                : ["--model-repository", "/models"]
            let command =
                ["/usr/bin/ledge", "serve"] + models + ["--host", "0.0.0.0", "--port", String(port)] + (port == Self.port ? [] : ["--no-grpc"])
            fields.append(("command", .list(command.map(YAML.string))))
        }
        // After the image's entrypoint (ledge serve …).
        let args: [YAML] =
            (options.tlsSecret == nil ? [] : ["--tls-cert", .string(tlsFolder + "/tls.crt"), "--tls-key", .string(tlsFolder + "/tls.key")])
            + (options.authSecret == nil ? [] : ["--auth-token-file", .string(authFolder + "/token")])
            + options.serveArguments.map(YAML.string)
        if !args.isEmpty { fields.append(("args", .list(args))) }
        if !options.environmentSecrets.isEmpty {
            fields.append(("envFrom", .list(options.environmentSecrets.map { .map([("secretRef", .map([("name", .string($0))]))]) })))
        }
        if !options.serveEnvironment.isEmpty {
            fields.append(("env", .list(options.serveEnvironment.map { .map([("name", .string($0.name)), ("value", .string($0.value))]) })))
        }
        // The health paths stay open with a token (--auth-health open): kubelet sends no header.
        let scheme: [(String, YAML)] = options.tlsSecret == nil ? [] : [("scheme", "HTTPS")]
        let probe = { (path: String, period: Int, failures: Int) -> YAML in
            .map([
                ("httpGet", .map([("path", .string(path)), ("port", .int(port))] + scheme)), ("periodSeconds", .int(period)),
                ("failureThreshold", .int(failures)),
            ])
        }
        fields += [
            (
                "ports",
                .list(
                    // Unnamed for a ServingRuntime: Knative (KServe's serverless mode) takes only http1 or h2c.
                    [.map((inRuntime ? [] : [("name", "http")]) + [("containerPort", .int(port)), ("protocol", "TCP")])]
                        + (grpc && port == Self.port ? [.map([("name", "grpc"), ("containerPort", .int(grpcPort)), ("protocol", "TCP")])] : []))
            ),
            // Models load (and are probed) before ready: up to 60 s here (5 min when they are
            // downloaded first), then the usual checks.
            ("startupProbe", probe("/v2/health/ready", 2, fetches ? 150 : 30)),
            ("readinessProbe", probe("/v2/health/ready", 5, 3)),
            ("livenessProbe", probe("/v2/health/live", 10, 3)),
            ("resources", resources(options)),
            (
                "securityContext",
                .map(
                    (inRuntime
                        ? [
                            ("runAsNonRoot", true), ("runAsUser", 65532), ("runAsGroup", 65532),
                            ("seccompProfile", .map([("type", "RuntimeDefault")])),
                        ] : [])
                        + [("allowPrivilegeEscalation", false), ("readOnlyRootFilesystem", true), ("capabilities", .map([("drop", ["ALL"])]))])
            ),
            (
                "volumeMounts",
                .list(
                    [.map([("name", "home"), ("mountPath", "/home/ledge")]), .map([("name", "tmp"), ("mountPath", "/tmp")])]
                        + (options.tlsSecret == nil ? [] : [.map([("name", "tls"), ("mountPath", .string(tlsFolder)), ("readOnly", true)])])
                        + (options.authSecret == nil ? [] : [.map([("name", "auth"), ("mountPath", .string(authFolder)), ("readOnly", true)])]))
            ),
        ]
        return .map(fields)
    }

    /// The container's CPU and memory requests and limits.
    static func resources(_ options: KubernetesOptions) -> YAML {
        .map([
            ("requests", .map([("cpu", .string(options.cpuRequest)), ("memory", .string(options.memoryRequest))])),
            ("limits", .map([("cpu", .string(options.cpuLimit)), ("memory", .string(options.memoryLimit))])),
        ])
    }

    static func deployment(_ options: KubernetesOptions) -> YAML {
        .map([
            ("apiVersion", "apps/v1"), ("kind", "Deployment"), ("metadata", metadata(options)),
            ("spec", .map((options.autoscale == nil ? [("replicas", .int(options.replicas))] : []) + workload(options))),
        ])
    }

    /// `autoscaling/v2`: the Deployment's pods between MIN and MAX, by their CPU use.
    static func autoscaler(_ options: KubernetesOptions) -> YAML {
        let bounds = options.autoscale ?? KubernetesOptions.Autoscale(min: 1, max: 1)
        let target: YAML = .map([("type", "Utilization"), ("averageUtilization", .int(bounds.cpuPercent))])
        return .map([
            ("apiVersion", "autoscaling/v2"), ("kind", "HorizontalPodAutoscaler"), ("metadata", metadata(options)),
            (
                "spec",
                .map([
                    ("scaleTargetRef", .map([("apiVersion", "apps/v1"), ("kind", "Deployment"), ("name", .string(options.name))])),
                    ("minReplicas", .int(bounds.min)), ("maxReplicas", .int(bounds.max)),
                    ("metrics", [.map([("type", "Resource"), ("resource", .map([("name", "cpu"), ("target", target)]))])]),
                ])
            ),
        ])
    }

    /// One pod per selected node; a new image replaces them one node at a time.
    static func daemonSet(_ options: KubernetesOptions) -> YAML {
        .map([
            ("apiVersion", "apps/v1"), ("kind", "DaemonSet"), ("metadata", metadata(options)),
            (
                "spec",
                .map(
                    workload(options) + [
                        ("updateStrategy", .map([("type", "RollingUpdate"), ("rollingUpdate", .map([("maxUnavailable", 1)]))]))
                    ])
            ),
        ])
    }

    /// The selector and pod template a Deployment and a DaemonSet share.
    private static func workload(_ options: KubernetesOptions) -> [(String, YAML)] {
        let podAnnotations: [(String, YAML)] = [
            ("prometheus.io/scrape", "true"), ("prometheus.io/port", .string(String(port))), ("prometheus.io/path", "/metrics"),
        ]
        return [
            ("selector", .map([("matchLabels", .map([("app.kubernetes.io/name", .string(options.name))]))])),
            (
                "template",
                .map([
                    ("metadata", .map([("labels", labels(options)), ("annotations", .map(podAnnotations))])),
                    ("spec", .map(podFields(options, container: container(options, name: "ledge", port: port, grpc: true)))),
                ])
            ),
        ]
    }

    static func service(_ options: KubernetesOptions) -> YAML {
        .map([
            ("apiVersion", "v1"), ("kind", "Service"), ("metadata", metadata(options)),
            (
                "spec",
                .map([
                    ("type", "ClusterIP"), ("selector", .map([("app.kubernetes.io/name", .string(options.name))])),
                    (
                        "ports",
                        [
                            .map([("name", "http"), ("port", .int(port)), ("targetPort", "http"), ("protocol", "TCP")]),
                            .map([("name", "grpc"), ("port", .int(grpcPort)), ("targetPort", "grpc"), ("protocol", "TCP")]),
                        ]
                    ),
                ])
            ),
        ])
    }

    static func inferenceService(_ options: KubernetesOptions) -> YAML {
        // Raw deployment: no Knative on an edge node. The custom container speaks V2 on its port.
        let annotations: [(String, YAML)] = [("serving.kserve.io/deploymentMode", "RawDeployment")]
        var predictor: [(String, YAML)] = [("minReplicas", .int(options.autoscale?.min ?? options.replicas))]
        if let autoscale = options.autoscale {
            // KServe's own autoscaler for a raw deployment: an HPA on CPU it makes itself.
            predictor += [("maxReplicas", .int(autoscale.max)), ("scaleMetric", "cpu"), ("scaleTarget", .int(autoscale.cpuPercent))]
        }
        predictor += podFields(options, container: container(options, name: "kserve-container", port: port))
        return .map([
            ("apiVersion", "serving.kserve.io/v1beta1"), ("kind", "InferenceService"),
            ("metadata", metadata(options, annotations: annotations)), ("spec", .map([("predictor", .map(predictor))])),
        ])
    }

    static func seldonDeployment(_ options: KubernetesOptions) -> YAML {
        let graph: YAML = .map([
            ("name", "ledge"), ("type", "MODEL"), ("endpoint", .map([("type", "REST"), ("httpPort", .int(seldonPort))])), ("children", []),
        ])
        let component: YAML = .map([("spec", .map(podFields(options, container: container(options, name: "ledge", port: seldonPort))))])
        return .map([
            ("apiVersion", "machinelearning.seldon.io/v1"), ("kind", "SeldonDeployment"), ("metadata", metadata(options)),
            (
                "spec",
                .map([
                    ("protocol", "v2"),
                    (
                        "predictors",
                        [.map([("name", "default"), ("replicas", .int(options.replicas)), ("graph", graph), ("componentSpecs", [component])])]
                    ),
                ])
            ),
        ])
    }
}
