/// Ledge's version.
public enum LedgeVersion {
    /// The version `ledge --version` prints and `GET /v2` reports.
    public static let current = "0.1.0"

    /// The Swift packages this build resolved (Package.resolved), recorded in the
    /// source so `ledge --version --verbose` and the image SBOM can name them; a
    /// test fails when they drift from Package.resolved.
    public static let dependencies: [SwiftDependency] = [
        SwiftDependency(name: "async-http-client", url: "https://github.com/swift-server/async-http-client.git", version: "1.37.0"),
        SwiftDependency(name: "grpc-swift-2", url: "https://github.com/grpc/grpc-swift-2.git", version: "2.4.3"),
        SwiftDependency(name: "grpc-swift-nio-transport", url: "https://github.com/grpc/grpc-swift-nio-transport.git", version: "2.9.2"),
        SwiftDependency(name: "grpc-swift-protobuf", url: "https://github.com/grpc/grpc-swift-protobuf.git", version: "2.4.1"),
        SwiftDependency(name: "hdrhistogram-swift", url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", version: "0.2.0"),
        SwiftDependency(name: "hummingbird", url: "https://github.com/hummingbird-project/hummingbird.git", version: "2.28.1"),
        SwiftDependency(name: "swift-algorithms", url: "https://github.com/apple/swift-algorithms.git", version: "1.2.1"),
        SwiftDependency(name: "swift-argument-parser", url: "https://github.com/apple/swift-argument-parser.git", version: "1.8.2"),
        SwiftDependency(name: "swift-asn1", url: "https://github.com/apple/swift-asn1.git", version: "1.7.4"),
        SwiftDependency(name: "swift-async-algorithms", url: "https://github.com/apple/swift-async-algorithms.git", version: "1.1.4"),
        SwiftDependency(name: "swift-atomics", url: "https://github.com/apple/swift-atomics.git", version: "1.3.0"),
        SwiftDependency(name: "swift-certificates", url: "https://github.com/apple/swift-certificates.git", version: "1.21.1"),
        SwiftDependency(name: "swift-collections", url: "https://github.com/apple/swift-collections.git", version: "1.6.0"),
        SwiftDependency(name: "swift-configuration", url: "https://github.com/apple/swift-configuration.git", version: "1.4.0"),
        SwiftDependency(name: "swift-crypto", url: "https://github.com/apple/swift-crypto.git", version: "4.5.2"),
        SwiftDependency(name: "swift-distributed-tracing", url: "https://github.com/apple/swift-distributed-tracing.git", version: "1.7.3"),
        SwiftDependency(name: "swift-http-structured-headers", url: "https://github.com/apple/swift-http-structured-headers.git", version: "1.7.0"),
        SwiftDependency(name: "swift-http-types", url: "https://github.com/apple/swift-http-types.git", version: "1.8.0"),
        SwiftDependency(name: "swift-log", url: "https://github.com/apple/swift-log.git", version: "1.16.2"),
        SwiftDependency(name: "swift-metrics", url: "https://github.com/apple/swift-metrics.git", version: "2.13.0"),
        SwiftDependency(name: "swift-nio", url: "https://github.com/apple/swift-nio.git", version: "2.101.3"),
        SwiftDependency(name: "swift-nio-extras", url: "https://github.com/apple/swift-nio-extras.git", version: "1.35.2"),
        SwiftDependency(name: "swift-nio-http2", url: "https://github.com/apple/swift-nio-http2.git", version: "1.46.0"),
        SwiftDependency(name: "swift-nio-ssl", url: "https://github.com/apple/swift-nio-ssl.git", version: "2.37.6"),
        SwiftDependency(name: "swift-nio-transport-services", url: "https://github.com/apple/swift-nio-transport-services.git", version: "1.28.0"),
        SwiftDependency(name: "swift-numerics", url: "https://github.com/apple/swift-numerics", version: "1.1.1"),
        SwiftDependency(name: "swift-prometheus", url: "https://github.com/swift-server/swift-prometheus.git", version: "2.4.1"),
        SwiftDependency(name: "swift-protobuf", url: "https://github.com/apple/swift-protobuf.git", version: "1.39.0"),
        SwiftDependency(name: "swift-service-context", url: "https://github.com/apple/swift-service-context.git", version: "1.5.1"),
        SwiftDependency(name: "swift-service-lifecycle", url: "https://github.com/swift-server/swift-service-lifecycle.git", version: "2.13.0"),
        SwiftDependency(name: "swift-system", url: "https://github.com/apple/swift-system", version: "1.8.1"),
    ]
}

/// A Swift package `ledge` is built from.
public struct SwiftDependency: Sendable, Hashable {
    /// Its identity, as `swift-nio`.
    public var name: String
    /// Its repository URL.
    public var url: String
    /// The resolved version.
    public var version: String

    public init(name: String, url: String, version: String) {
        self.name = name
        self.url = url
        self.version = version
    }

    /// The purl name, as `github.com/apple/swift-nio`.
    public var purlName: String {
        var name = url
        for prefix in ["https://", "http://"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        if name.hasSuffix(".git") { name.removeLast(4) }
        return name
    }
}
