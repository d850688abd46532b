// swift-tools-version:6.0
// libFuzzer targets for Ledge (`make fuzz`, Fuzz/run.sh). Not part of `make test`.
//
// Built with the fuzzer sanitizer and testing enabled (the targets `@testable import`
// LedgeServer's internal decoders and connection guard), e.g.:
//   swift build --package-path Fuzz -c release --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
// Each target's main.swift exports LLVMFuzzerTestOneInput and, as top-level code, hands it
// to libFuzzer's driver (CFuzzDriver): SwiftPM links executables with
// `--defsym main=<Module>_main`, so libFuzzer's own main cannot be the entry point, and
// `-parse-as-library` (which drops the module's entry point) makes that link fail.
import PackageDescription

let package = Package(
    name: "LedgeFuzz",
    dependencies: [
        .package(name: "ledge", path: ".."),
        // The versions the root package resolves (through Hummingbird): the framing target
        // assembles the same HTTP/1 pipeline by hand.
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
    ],
    targets: [
        // Calls libFuzzer's driver from each target's entry point (see its header).
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "FuzzShape",
            dependencies: ["CFuzzDriver", .product(name: "LedgeCore", package: "ledge")]
        ),
        .executableTarget(
            name: "FuzzRequest",
            dependencies: [
                "CFuzzDriver",
                .product(name: "LedgeCore", package: "ledge"),
                .product(name: "LedgeServer", package: "ledge"),
            ]
        ),
        .executableTarget(
            name: "FuzzFraming",
            dependencies: [
                "CFuzzDriver",
                .product(name: "LedgeCore", package: "ledge"),
                .product(name: "LedgeServer", package: "ledge"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
