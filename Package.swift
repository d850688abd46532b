// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ledge",
    products: [
        .executable(name: "ledge", targets: ["ledge"]),
        .library(name: "LedgeCore", targets: ["LedgeCore"]),
        .library(name: "LedgeONNX", targets: ["LedgeONNX"]),
        .library(name: "LedgeONNXModel", targets: ["LedgeONNXModel"]),
        .library(name: "LedgeQuantize", targets: ["LedgeQuantize"]),
        .library(name: "LedgeLiteRT", targets: ["LedgeLiteRT"]),
        .library(name: "LedgeVision", targets: ["LedgeVision"]),
        .library(name: "LedgeEngine", targets: ["LedgeEngine"]),
        .library(name: "LedgeBench", targets: ["LedgeBench"]),
        .library(name: "LedgeServing", targets: ["LedgeServing"]),
        .library(name: "LedgeServer", targets: ["LedgeServer"]),
        .library(name: "LedgeGRPC", targets: ["LedgeGRPC"]),
        .library(name: "LedgeRelease", targets: ["LedgeRelease"]),
        .library(name: "LedgeFetch", targets: ["LedgeFetch"]),
        .library(name: "LedgeCompression", targets: ["LedgeCompression"]),
        .library(name: "LedgePackage", targets: ["LedgePackage"]),
        .library(name: "LedgeDeploy", targets: ["LedgeDeploy"]),
        .library(name: "LedgeTesting", targets: ["LedgeTesting"]),
        .library(name: "LedgeFuzzing", targets: ["LedgeFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
        // No default traits: "FullFoundation" links all of Foundation (and its 34 MB of ICU data) for
        // URL-encoded-form date coding, "ConfigurationSupport" links swift-configuration; we use neither.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections.git", exact: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        // 4.x imports FoundationEssentials where it can (3.x imports all of Foundation).
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", exact: "1.46.0"),
        // The V2 protocol over gRPC (LedgeGRPC): the code generated from Protos/ is committed.
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", exact: "1.7.4"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        // No default traits: they add Foundation stream and FieldMask helpers we do not use.
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0", traits: []),
        // Hummingbird's; LedgeServer runs its own listener as a Service (HTTPListener).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
    ],
    targets: [
        // C declarations of the runtimes' ABIs, written by us, loaded with dlopen.
        .target(name: "CONNXRuntime", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CLiteRT", linkerSettings: [.linkedLibrary("dl")]),
        // Debian's libjpeg-turbo and libpng.
        .systemLibrary(name: "CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        // C shim over libpng: its errors longjmp, so the setjmp must live in C.
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        // Process-level C: an async-signal-safe crash line, the probe's memory bound, spawning without leaked descriptors.
        .target(name: "CLedgeProcess"),
        // Linux's TCP_INFO fields glibc's header lacks: the gRPC keep-alive's sign of life from a peer reading slowly.
        .target(name: "CLedgeSocket"),
        // Calibration's and weight quantization's loops, optimized in debug builds too (tests calibrate real models).
        .target(name: "CLedgeQuantize", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("m")]),
        // The resize's loops, vectorized and optimized in debug builds too (see its header).
        .target(name: "CLedgeImage", cSettings: [.unsafeFlags(["-O2"])]),
        // Debian's zlib, to inflate deflated zip entries (labels inside .tflite files).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Debian's libyaml, to read fleet files (Yams needs full Foundation, which we do not link).
        .systemLibrary(name: "CYAML", providers: [.apt(["libyaml-dev"])]),

        .target(
            name: "LedgeCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"), .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Generated/README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LedgeONNX",
            dependencies: ["LedgeCore", "CONNXRuntime", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // ONNX models as the format's messages (generated from our Protos/onnx.proto): read, change, write.
        .target(
            name: "LedgeONNXModel",
            dependencies: ["LedgeCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/README.md"],
            swiftSettings: swiftSettings
        ),
        // INT8 quantization of ONNX models: preparation, calibration, QDQ and dynamic forms, report.
        .target(
            name: "LedgeQuantize",
            dependencies: [
                "LedgeCore", "LedgeONNXModel", "LedgeONNX", "LedgeEngine", "LedgeBench", "LedgeVision", "CLedgeQuantize",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LedgeLiteRT",
            dependencies: ["LedgeCore", "CLiteRT", "CLedgeProcess", "CZlib", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LedgeVision",
            dependencies: ["LedgeCore", "CTurboJPEG", "CPNG", "CLedgeImage"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LedgeEngine",
            dependencies: [
                "LedgeCore", "LedgeONNX", "LedgeLiteRT", "LedgeVision", "CLedgeProcess",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LedgeBench",
            dependencies: [
                "LedgeCore", "LedgeEngine", "LedgeVision",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The transport-neutral serving core: repository, pool, batcher, request and response types, metrics.
        .target(
            name: "LedgeServing",
            dependencies: [
                "LedgeCore", "LedgeEngine", "LedgeVision", "LedgeFetch", "LedgeCompression", "CLedgeProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "DequeModule", package: "swift-collections"),
                // The trace exporter's OTLP over gRPC (a client; the V2 server is LedgeGRPC's).
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                // The listeners' guards (ListenerGuards), shared by the HTTP and gRPC servers.
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LedgeServer",
            dependencies: [
                "LedgeCore", "LedgeEngine", "LedgeVision", "LedgeServing", "LedgeCompression",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The V2 protocol over gRPC (grpc-swift 2): the service over the serving core, its server and TLS.
        .target(
            name: "LedgeGRPC",
            dependencies: [
                "LedgeCore", "LedgeServing", "CLedgeSocket",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            exclude: ["Generated/README.md"],
            swiftSettings: swiftSettings
        ),
        // What one platform needs (binary, runtime and Debian libraries, models, SBOM); images and device releases share it.
        .target(
            name: "LedgeRelease",
            dependencies: [
                "LedgeCore", "CLedgeProcess", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // zlib streams (gzip, deflate) with bounded output: fetched archives, compressed request bodies.
        .target(name: "LedgeCompression", dependencies: ["LedgeCore", "CZlib"], swiftSettings: swiftSettings),
        // Models from URIs: our HTTP/1.1 client, downloads with resume, a content-addressed cache, safe unpacking.
        .target(
            name: "LedgeFetch",
            dependencies: [
                "LedgeCore", "LedgeRelease", "LedgeCompression", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                // RS256 for Google service accounts' JWTs (gs:// URIs).
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // OCI images of a release: layers, index, layout and archives, registry push.
        .target(
            name: "LedgePackage",
            dependencies: [
                "LedgeCore", "LedgeRelease", "LedgeFetch", "LedgeCompression",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Taking releases to devices and clusters: SSH fleets (fleet files), Kubernetes/KubeEdge manifests.
        .target(
            name: "LedgeDeploy",
            dependencies: [
                "LedgeCore", "LedgeRelease", "LedgePackage", "LedgeFetch", "CYAML", "CLedgeProcess",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "LedgeCLI",
            dependencies: [
                "LedgeCore", "LedgeEngine", "LedgeVision", "LedgeBench", "LedgeServing", "LedgeServer", "LedgeGRPC", "LedgeRelease",
                "LedgePackage", "LedgeQuantize", "LedgeLiteRT", "LedgeONNX",
                "LedgeDeploy", "LedgeFetch", "CLedgeProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "ledge", dependencies: ["LedgeCLI"], swiftSettings: swiftSettings),
        .target(
            name: "LedgeTesting",
            dependencies: ["LedgeCore", "CLedgeProcess", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        // The serving core's testing helpers (a busy pool), beside it as HummingbirdTesting is beside Hummingbird.
        .target(name: "LedgeServingTesting", dependencies: ["LedgeServing"], swiftSettings: swiftSettings),
        // The bodies of the libFuzzer targets in Fuzz/ (`make fuzz`), so that `make test` replays their corpora and crashers.
        .target(
            name: "LedgeFuzzing",
            dependencies: [
                "LedgeCore", "LedgeServing", "LedgeServer", "LedgeGRPC", "LedgeLiteRT", "LedgeONNX", "LedgeVision",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "LedgeCoreTests", dependencies: ["LedgeCore", "LedgeTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "LedgeCompressionTests", dependencies: ["LedgeCompression", "LedgeCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeONNXTests", dependencies: ["LedgeONNX", "LedgeTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeONNXModelTests",
            dependencies: [
                "LedgeONNXModel", "LedgeONNX", "LedgeCore", "LedgeTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeQuantizeTests",
            dependencies: [
                "LedgeQuantize", "LedgeONNXModel", "LedgeONNX", "LedgeCore", "LedgeEngine", "LedgeTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeLiteRTTests", dependencies: ["LedgeLiteRT", "LedgeTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(name: "LedgeVisionTests", dependencies: ["LedgeVision", "LedgeTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeEngineTests",
            dependencies: ["LedgeEngine", "LedgeLiteRT", "LedgeONNX", "LedgeTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeBenchTests", dependencies: ["LedgeBench", "LedgeTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeServingTests",
            dependencies: [
                "LedgeServing", "LedgeEngine", "LedgeVision", "LedgeTesting", "LedgeServingTesting", "CLedgeProcess", "LedgeFetch",
                .product(name: "Logging", package: "swift-log"), .product(name: "GRPCCore", package: "grpc-swift-2"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeServerTests",
            dependencies: [
                "LedgeServer", "LedgeServing", "LedgeEngine", "LedgeTesting", "LedgeServingTesting", "LedgeVision", "LedgeCompression",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LedgeGRPCTests",
            dependencies: [
                "LedgeGRPC", "LedgeServing", "LedgeEngine", "LedgeTesting", "LedgeServingTesting",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LedgeTestingTests", dependencies: ["LedgeTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeFuzzingTests", dependencies: ["LedgeFuzzing", "LedgeGRPC", "LedgeServer", "LedgeServing", "LedgeCore", "LedgeTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeReleaseTests", dependencies: ["LedgeRelease", "LedgeTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgePackageTests",
            dependencies: [
                "LedgePackage", "LedgeRelease", "LedgeTesting", "LedgeVision", "LedgeCore", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeFetchTests",
            dependencies: ["LedgeFetch", "LedgeCore", "LedgeRelease", "LedgeTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeDeployTests",
            dependencies: ["LedgeDeploy", "LedgeRelease", "LedgeTesting", .product(name: "Logging", package: "swift-log")],
            exclude: ["Golden"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgeCLITests",
            dependencies: [
                "LedgeCLI", "LedgeTesting", "LedgeONNXModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
