#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore

/// One entry of a release: a path in the image or release directory and what is there.
public struct ReleaseFile: Sendable, Hashable {
    /// Where an entry's bytes come from.
    public enum Content: Sendable, Hashable {
        /// A file on this machine, copied as it is.
        case file(String)
        /// Bytes made by the packager (passwd, the SBOM).
        case bytes([UInt8])
        /// A symbolic link to this target.
        case symlink(String)
        /// A directory.
        case directory
    }

    /// Which layer of an image the entry goes to, from rarely to often changed.
    public enum Layer: Int, Sendable, Hashable, CaseIterable, Comparable {
        /// The system: users, the Debian libraries, their copyright files, the runtime libraries.
        case system
        /// The `ledge` binary.
        case application
        /// The models and the SBOM.
        case models

        public static func < (lhs: Layer, rhs: Layer) -> Bool { lhs.rawValue < rhs.rawValue }
        /// A short name for logs and results.
        public var name: String { ["system", "application", "models"][rawValue] }
    }

    /// The path, relative to the root (no leading `/`).
    public var path: String
    public var content: Content
    /// Permission bits (`0o755`, `0o644`, `0o1777`).
    public var mode: UInt32
    /// Owner and group id.
    public var owner: UInt32
    public var layer: Layer

    public init(path: String, content: Content, mode: UInt32, owner: UInt32 = 0, layer: Layer) {
        self.path = path
        self.content = content
        self.mode = mode
        self.owner = owner
        self.layer = layer
    }
}

/// A model as it is packaged: `models/NAME/model.EXT` (+ `labels.txt`).
public struct ReleaseModel: Sendable, Hashable, Codable {
    public var name: String
    /// `tflite` or `onnx`.
    public var format: String
    /// sha256 of the model file.
    public var sha256: String
    public var size: Int
    /// The runtime that serves it (`litert` or `onnxruntime`) and its version.
    public var runtime: String
    public var runtimeVersion: String
    /// Path inside the image (`models/NAME/model.tflite`).
    public var path: String
}

/// Everything one platform needs to serve the models: the stripped `ledge`
/// binary, the runtime libraries the models need, the Debian libraries those
/// need (with their copyright files), users, the models and an SPDX SBOM.
///
/// Images (`LedgePackage`) and device releases (deploy) are both made of this
/// one file set.
public struct ReleaseBundle: Sendable {
    /// The user the server runs as.
    public static let userID: UInt32 = 65532
    /// The port the server listens on inside an image.
    public static let port = 8000
    /// The gRPC port of the server (`ledge serve`'s default beside port 8000).
    public static let grpcPort = 8001
    /// Where the SBOM is inside the image.
    public static let sbomPath = "usr/share/ledge/sbom.spdx.json"
    /// Where the runtime libraries are.
    public static let libraryDirectory = "opt/ledge/lib"
    /// The Mozilla roots of Debian's `ca-certificates`, where TLS clients on Debian (and
    /// swift-nio-ssl's default trust roots) look: `https` model URIs and trace collectors
    /// verify against them inside an image.
    public static let caCertificatesPath = "etc/ssl/certs/ca-certificates.crt"

    public let platform: ReleasePlatform
    /// All entries, sorted by path, parents before children.
    public let files: [ReleaseFile]
    public let models: [ReleaseModel]
    /// The runtimes the models need (a subset of the platform's).
    public let runtimes: [PlatformInputs.Runtime]
    /// The Debian packages whose files are included.
    public let packages: [PlatformInputs.DebianPackage]
    /// sha256 of the (stripped) `ledge` binary.
    public let binarySHA256: String
    /// The SPDX 2.3 document (also at ``sbomPath``).
    public let sbom: [UInt8]
    /// `ledge serve --model-repository /models --host 0.0.0.0 --port 8000`; without models
    /// `ledge serve --host 0.0.0.0 --port 8000`, to which a container's arguments add
    /// `--model-uri URI` or `--model-repository s3://BUCKET/PREFIX`.
    public let entrypoint: [String]
    /// `KEY=VALUE` lines: PATH, LD_LIBRARY_PATH, the runtime library variables, HOME.
    public let environment: [String]
    /// `/home/ledge`.
    public let workingDirectory: String

    init(
        platform: ReleasePlatform, files: [ReleaseFile], models: [ReleaseModel], runtimes: [PlatformInputs.Runtime],
        packages: [PlatformInputs.DebianPackage], binarySHA256: String, sbom: [UInt8]
    ) {
        self.platform = platform
        self.files = files
        self.models = models
        self.runtimes = runtimes
        self.packages = packages
        self.binarySHA256 = binarySHA256
        self.sbom = sbom
        self.entrypoint =
            ["/usr/bin/ledge", "serve"] + (models.isEmpty ? [] : ["--model-repository", "/models"])
            + ["--host", "0.0.0.0", "--port", String(Self.port)]
        var environment = [
            "PATH=/usr/bin",
            "LD_LIBRARY_PATH=/\(Self.libraryDirectory):/usr/lib/\(platform.triplet):/lib/\(platform.triplet)",
            "HOME=/home/ledge",
        ]
        for runtime in runtimes {
            let variable = runtime.kind == "onnxruntime" ? "LEDGE_ORT_LIBRARY" : "LEDGE_LITERT_LIBRARY"
            environment.append("\(variable)=/\(Self.libraryDirectory)/\(runtime.library.split(separator: "/").last ?? "")")
        }
        self.environment = environment.sorted()
        self.workingDirectory = "/home/ledge"
    }

    /// The entries of `layer`.
    public func files(in layer: ReleaseFile.Layer) -> [ReleaseFile] { files.filter { $0.layer == layer } }
}
