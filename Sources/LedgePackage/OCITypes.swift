/// OCI media types and the JSON shapes of the image spec (v1.1) that Ledge writes.
enum MediaType {
    static let index = "application/vnd.oci.image.index.v1+json"
    static let manifest = "application/vnd.oci.image.manifest.v1+json"
    static let config = "application/vnd.oci.image.config.v1+json"
    static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
}

/// A content descriptor.
struct Descriptor: Codable, Hashable, Sendable {
    struct Platform: Codable, Hashable, Sendable {
        var architecture: String
        var os: String
        var variant: String?
    }
    var mediaType: String
    var digest: String
    var size: Int
    var platform: Platform?
    var annotations: [String: String]?
}

struct ImageManifest: Codable, Sendable {
    var schemaVersion = 2
    var mediaType = MediaType.manifest
    var config: Descriptor
    var layers: [Descriptor]
    var annotations: [String: String]?
}

struct ImageIndex: Codable, Sendable {
    var schemaVersion = 2
    var mediaType = MediaType.index
    var manifests: [Descriptor]
    var annotations: [String: String]?
}

struct ImageConfig: Codable, Sendable {
    struct Config: Codable, Sendable {
        var User: String
        var Entrypoint: [String]
        var Env: [String]
        var WorkingDir: String
        var ExposedPorts: [String: [String: String]]
        var Labels: [String: String]
    }
    struct RootFS: Codable, Sendable {
        var type = "layers"
        var diff_ids: [String]
    }
    struct History: Codable, Sendable {
        var created: String
        var created_by: String
        var comment: String?
    }
    var created: String
    var architecture: String
    var variant: String?
    var os = "linux"
    var config: Config
    var rootfs: RootFS
    var history: [History]
}
