// swift-tools-version:6.0
// libFuzzer targets for Ledge (`make fuzz`, Fuzz/run.sh). The targets' bodies are the root
// package's LedgeFuzzing module (FuzzTarget), which `make test` also runs over every seed in
// Corpus/<Target>/ and every kept crasher in Crashers/<Target>/ (FuzzReplayTests).
//
// Built with the fuzzer sanitizer, e.g.:
//   swift build --package-path Fuzz -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address
// Each target's main.swift exports LLVMFuzzerTestOneInput and, as top-level code, hands it
// to libFuzzer's driver (CFuzzDriver): SwiftPM links executables with
// `--defsym main=<Module>_main`, so libFuzzer's own main cannot be the entry point, and
// `-parse-as-library` (which drops the module's entry point) makes that link fail.
import PackageDescription

/// Target name (as Fuzz/run.sh, the corpora and LedgeFuzzing's `FuzzTarget` raw values spell it).
let targets = [
    "FuzzShape", "FuzzRequest", "FuzzFraming", "FuzzMultipart", "FuzzTFLite", "FuzzONNX", "FuzzImage", "FuzzGRPC", "FuzzConfig",
    "FuzzSeldon",
]

let package = Package(
    name: "LedgeFuzz",
    dependencies: [.package(name: "ledge", path: "..")],
    targets: [
        // Calls libFuzzer's driver from each target's entry point (see its header).
        .target(name: "CFuzzDriver")
    ]
        + targets.map {
            .executableTarget(name: $0, dependencies: ["CFuzzDriver", .product(name: "LedgeFuzzing", package: "ledge")])
        },
    swiftLanguageModes: [.v6]
)
