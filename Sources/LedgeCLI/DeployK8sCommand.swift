internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#endif
internal import LedgeCore
internal import LedgeDeploy

/// `ledge deploy k8s`: manifests for an image `ledge package` pushed.
struct DeployK8sCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s",
        abstract: "Write Kubernetes/KubeEdge manifests (Deployment, Service; optionally KServe and Seldon) for a ledge image.",
        discussion: """
            The pods run the image's ledge serve as uid 65532 with a read-only root filesystem, V2 health \
            probes (startup, readiness, liveness) and Prometheus annotations. --node pins them to one node \
            (nodeName, as KubeEdge edge nodes are addressed) and --selector to labelled nodes; either adds \
            the toleration for KubeEdge's node-role.kubernetes.io/edge taint. --from-package reads the \
            JSON 'ledge package --push … --json' printed and references the image by digest. \
            --model-uri and --model-repository s3://… or gs://… replace the image's models with ones the server \
            fetches when it starts (its credentials from --env-from-secret or --service-account's cloud \
            role); an image of the server alone is 'ledge package --runtime litert,onnxruntime'. \
            --storage-uri is KServe's own way instead: a ServingRuntime for such an image and an \
            InferenceService whose model KServe's storage initializer fetches into /mnt/models.
            """)

    @Option(help: "The image, REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST].")
    var image: String?

    @Option(name: .customLong("from-package"), help: "The --json result of 'ledge package --push': the image by its index digest.")
    var fromPackage: String?

    @Option(help: "The name of the objects (default: the image's repository name).")
    var name: String?

    @Option(help: "The namespace.")
    var namespace: String?

    @Option(help: "Pod replicas.")
    var replicas = 1

    @Option(help: "Run on this node (nodeName).")
    var node: String?

    @Option(help: "Run on nodes with this label KEY=VALUE; repeatable.")
    var selector: [String] = []

    @Flag(help: "A DaemonSet instead of a Deployment: one pod on every node --selector picks (every edge node of a label).")
    var daemonset = false

    @Flag(help: "Also a KServe InferenceService (custom container, V2, raw deployment).")
    var kserve = false

    @Flag(help: "Also a Seldon Core SeldonDeployment (custom server, V2 protocol).")
    var seldon = false

    @Option(
        help: ArgumentHelp(
            "A HorizontalPodAutoscaler: between MIN and MAX pods, keeping their CPU use near CPU% of the request (default 70).",
            valueName: "min,max[,cpu%]"))
    var autoscale: String?

    @Option(name: .customLong("cpu"), help: "CPU request and limit, REQUEST[,LIMIT].")
    var cpu = "500m,2"

    @Option(name: .customLong("memory"), help: "Memory request and limit, REQUEST[,LIMIT].")
    var memory = "256Mi,1Gi"

    @Option(
        name: .customLong("auth-secret"),
        help: ArgumentHelp(
            "The server requires a bearer token from this Secret's key 'token' (one per line; mounted, so a rotated Secret is served without a restart).",
            valueName: "name"))
    var authSecret: String?

    @Option(
        name: .customLong("tls-secret"),
        help: ArgumentHelp("The server serves HTTPS only with this kubernetes.io/tls Secret (tls.crt, tls.key); probes use HTTPS.", valueName: "name")
    )
    var tlsSecret: String?

    @Option(
        name: .customLong("service-account"),
        help: ArgumentHelp(
            "The pod's ServiceAccount (its image pull secrets, RBAC and cloud role).",
            valueName: "name"))
    var serviceAccount: String?

    @Option(
        name: .customLong("env-from-secret"),
        help: ArgumentHelp(
            "The server's environment from this Secret's keys (envFrom: OTEL_EXPORTER_OTLP_HEADERS with an API key, https_proxy with credentials, without the values in the manifest); repeatable.",
            valueName: "name"))
    var envFromSecret: [String] = []

    @Option(
        name: .customLong("model-uri"),
        help: ArgumentHelp(
            "A model the server fetches when it starts, instead of the image's: https://…, http://…, s3://BUCKET/KEY, gs://BUCKET/OBJECT or hf://OWNER/REPO/PATH, optionally #sha256=HEX; repeatable.",
            valueName: "uri"))
    var modelURI: [String] = []

    @Option(
        name: .customLong("model-repository"),
        help: ArgumentHelp(
            "A model repository (s3:// or gs://) the server mirrors and serves instead of the image's models.", valueName: "s3://bucket/prefix"))
    var modelRepository: String?

    @Option(
        name: .customLong("storage-uri"),
        help: ArgumentHelp(
            "KServe's way: a ServingRuntime for the image and an InferenceService whose storageUri KServe's storage initializer fetches into /mnt/models (s3://, gs://, pvc://, hf://, oci://, https://…); only those two files.",
            valueName: "uri"))
    var storageURI: String?

    @Option(
        name: .customLong("model-format"),
        help: ArgumentHelp(
            "With --storage-uri: the InferenceService's modelFormat, onnx or tflite (default: the URI's extension).", valueName: "format"))
    var modelFormat: String?

    @Flag(
        name: .customLong("cluster-runtime"),
        help: "With --storage-uri: a ClusterServingRuntime, for InferenceServices of every namespace, instead of a ServingRuntime.")
    var clusterRuntime = false

    @OptionGroup(title: "Server") var serve: ServeArgumentOptions

    @Option(name: .shortAndLong, help: "Write the files into this folder (default: print them as one stream).")
    var output: String?

    func validate() throws {
        if (image == nil) == (fromPackage == nil) { throw ValidationError("give either --image REF or --from-package RESULT.json") }
        if node != nil && !selector.isEmpty { throw ValidationError("give either --node or --selector, not both") }
        try serve.check(setBy: "the manifests (the image's command, --model-uri, --model-repository, --auth-secret, --tls-secret)")
    }

    func run() throws {
        let image = try self.image ?? Self.image(fromPackage: fromPackage ?? "")
        var placement = Placement.anywhere
        if let node { placement = .node(node) }
        if !selector.isEmpty {
            var labels: [String: String] = [:]
            for item in selector {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                    throw LedgeError.usage("--selector '\(item)': expected KEY=VALUE")
                }
                labels[String(item[..<equals])] = String(item[item.index(after: equals)...])
            }
            placement = .selector(labels)
        }
        let (cpuRequest, cpuLimit) = try KubernetesQuantity.requestAndLimit(cpu, option: "--cpu", example: "500m,2")
        let (memoryRequest, memoryLimit) = try KubernetesQuantity.requestAndLimit(memory, option: "--memory", example: "256Mi,1Gi")
        var options = KubernetesOptions(
            name: name ?? Self.defaultName(image), image: image, namespace: namespace, replicas: replicas, placement: placement,
            cpuRequest: cpuRequest, cpuLimit: cpuLimit, memoryRequest: memoryRequest, memoryLimit: memoryLimit, kserve: kserve,
            seldon: seldon, authSecret: authSecret, tlsSecret: tlsSecret)
        options.serveArguments = serve.arguments
        options.serveEnvironment = try serve.environment()
        options.serviceAccount = serviceAccount
        options.environmentSecrets = envFromSecret
        options.modelURIs = modelURI
        options.modelRepository = modelRepository
        options.daemonSet = daemonset
        options.storageURI = storageURI
        options.modelFormat = modelFormat
        options.clusterRuntime = clusterRuntime
        if let autoscale {
            let parts = autoscale.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard (2...3).contains(parts.count), let low = parts[0], let high = parts[1], parts.count == 2 || parts[2] != nil else {
                throw LedgeError.usage("--autoscale '\(autoscale)': expected MIN,MAX[,CPU%], as 2,10,70")
            }
            options.autoscale = KubernetesOptions.Autoscale(min: low, max: high, cpuPercent: parts.count == 3 ? parts[2] ?? 70 : 70)
        }
        let files = try KubernetesManifests.render(options)
        if let output {
            // Replaced whole: only a folder of earlier manifests (.yaml files) or an empty one.
            try OutputPlace.check(
                output, .folder(earlier: { $0.allSatisfy { $0.hasSuffix(".yaml") } }), what: "folder of manifests", option: "-o", inputs: [])
            try ManifestFolder.write(files, to: output)
            StandardStreams.writeOutput(files.map { output + "/" + $0.0 }.joined(separator: "\n") + "\n")
        } else {
            StandardStreams.writeOutput(files.map { "---\n# \($0.0)\n" + $0.1 }.joined())
        }
    }

    /// `repo:tag@sha256:…` from `ledge package --push --json`.
    static func image(fromPackage path: String) throws -> String {
        struct Result: Decodable {
            var destination: String
            var indexDigest: String
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidInput("package result not found: \(path)")
        }
        guard let result = try? JSONDecoder().decode(Result.self, from: data), result.indexDigest.hasPrefix("sha256:"),
            !result.destination.hasPrefix("/")
        else {
            throw LedgeError.invalidInput("\(path): expected the JSON of 'ledge package --push … --json' (destination, indexDigest)")
        }
        return result.destination + "@" + result.indexDigest
    }

    /// The repository's last part: `reg/ledge/effnet:1@sha256:…` → `effnet`.
    static func defaultName(_ image: String) -> String {
        let withoutDigest = image.split(separator: "@").first.map(String.init) ?? image
        let last = withoutDigest.split(separator: "/").last.map(String.init) ?? withoutDigest
        let name = last.split(separator: ":").first.map(String.init) ?? last
        return String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(63))
    }

}

/// Writes manifest files into a folder, all or none: a staging folder renamed into place.
enum ManifestFolder {
    static func write(_ files: [(String, String)], to folder: String) throws {
        let fm = FileManager.default
        let parent = PathName.deletingLastComponent(folder.hasSuffix("/") ? String(folder.dropLast()) : folder)
        guard parent.isEmpty || PathName.isDirectory(parent) else { throw LedgeError.usage("-o \(folder): folder not found: \(parent)") }
        let stage = folder + ".ledge-tmp"
        try? fm.removeItem(atPath: stage)
        do {
            try fm.createDirectory(atPath: stage, withIntermediateDirectories: false)
            for (name, text) in files {
                guard fm.createFile(atPath: stage + "/" + name, contents: Data(text.utf8)) else {
                    throw LedgeError.invalidInput("cannot write \(stage)/\(name)")
                }
            }
            if fm.fileExists(atPath: folder) { try fm.removeItem(atPath: folder) }
            try fm.moveItem(atPath: stage, toPath: folder)
        } catch let error as LedgeError {
            try? fm.removeItem(atPath: stage)
            throw error
        } catch {
            try? fm.removeItem(atPath: stage)
            // Foundation's error in one line: the system's reason, as the other commands give it.
            let posix = ((error as? CocoaError)?.userInfo["NSUnderlyingError"] as? POSIXError)?.code.rawValue
            throw LedgeError.invalidInput("cannot write manifests to \(folder): \(posix.map { String(cString: strerror($0)) } ?? "\(error)")")
        }
    }
}
