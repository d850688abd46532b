import Foundation
import LedgeCore
import LedgeTesting
import Testing

@testable import LedgeRelease

@Suite struct ReleaseBundleTests {
    @Test func amd64BundleHoldsOnlyWhatALiteRTModelNeeds() throws {
        let scratch = try ReleaseFixtures.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let bundle = try ReleaseFixtures.bundle(.amd64, binary: Fixtures.ledgeExecutable, models: ["efficientnet_lite0.tflite"], scratch: scratch)
        let paths = Set(bundle.files.map(\.path))
        for expected in [
            "usr/bin/ledge", "opt/ledge/lib/libLiteRt.so", "lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6",
            "usr/lib/x86_64-linux-gnu/libstdc++.so.6", "usr/lib/x86_64-linux-gnu/libturbojpeg.so.0", "usr/share/doc/libc6/copyright",
            "usr/share/doc/zlib1g/copyright", "usr/lib/x86_64-linux-gnu/libyaml-0.so.2", "usr/share/doc/libyaml-0-2/copyright", "etc/passwd",
            "etc/ssl/certs/ca-certificates.crt", "usr/share/doc/ca-certificates/copyright",
            "models/efficientnet_lite0/model.tflite", ReleaseBundle.sbomPath,
        ] {
            #expect(paths.contains(expected), "missing \(expected)")
        }
        #expect(!paths.contains { $0.contains("onnxruntime") })
        #expect(bundle.runtimes.map(\.kind) == ["litert"])
        #expect(bundle.environment.contains("LEDGE_LITERT_LIBRARY=/opt/ledge/lib/libLiteRt.so"))
        #expect(!bundle.environment.contains { $0.hasPrefix("LEDGE_ORT_LIBRARY") })
        // Every ELF file is x86_64, and the binary is stripped.
        for file in bundle.files {
            guard case .file(let source) = file.content, ELFFile.isELF(path: source) else { continue }
            let elf = try ELFFile(path: source, what: file.path)
            #expect(elf.machine == .x86_64, "\(file.path)")
            if file.path == "usr/bin/ledge" { #expect(!elf.hasSymbols) }
        }
        let passwd = bundle.files.first { $0.path == "etc/passwd" }
        #expect(passwd?.content == .bytes(Array("root:x:0:0:root:/root:/sbin/nologin\nledge:x:65532:65532:ledge:/home/ledge:/sbin/nologin\n".utf8)))
        #expect(bundle.files.first { $0.path == "home/ledge" }?.owner == 65532)
    }

    /// A Hugging Face export's config files go beside its model, where the server reads its labels
    /// and image recipe (here from the Hub's layout: the model in onnx/, the files above it).
    @Test func anExportsConfigFilesGoBesideItsModel() throws {
        let scratch = try ReleaseFixtures.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let export = Fixtures.huggingFace("convnext/")
        let bundle = try ReleaseBundle.build(
            ReleaseRequest(
                platform: .amd64, binary: Fixtures.ledgeExecutable,
                models: [RepositoryLayout.Entry(name: "cats", model: export + "onnx/model.onnx", labels: nil)],
                platformsDirectory: ReleaseFixtures.platforms, scratchDirectory: scratch, metadata: ReleaseFixtures.metadata()),
            logger: ReleaseFixtures.logger)
        let models = bundle.files.filter { $0.path.hasPrefix("models/") }.map { "\($0.path) \($0.content)" }.sorted()
        #expect(
            models == [
                "models/cats/config.json \(ReleaseFile.Content.file(export + "config.json"))",
                "models/cats/model.onnx \(ReleaseFile.Content.file(export + "onnx/model.onnx"))",
                "models/cats/preprocessor_config.json \(ReleaseFile.Content.file(export + "preprocessor_config.json"))",
            ])
    }

    @Test func arm64BundleOfBothRuntimesIsAllAarch64() throws {
        let scratch = try ReleaseFixtures.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let bundle = try ReleaseFixtures.bundle(
            .arm64, binary: ReleaseFixtures.arm64Helper, models: ["efficientnet_lite0.tflite", "ch_ppocr_mobile_v2.0_cls_infer.onnx"],
            scratch: scratch)
        #expect(bundle.runtimes.map(\.kind) == ["litert", "onnxruntime"])
        let paths = Set(bundle.files.map(\.path))
        #expect(paths.contains("lib/ld-linux-aarch64.so.1"))
        #expect(paths.contains("opt/ledge/lib/libonnxruntime.so.1.31.1"))
        var elfCount = 0
        for file in bundle.files {
            guard case .file(let source) = file.content, ELFFile.isELF(path: source) else { continue }
            #expect(try ELFFile(path: source, what: file.path).machine == .aarch64, "\(file.path)")
            elfCount += 1
        }
        #expect(elfCount >= 10)
    }

    @Test func sbomNamesPackagesWheelsSwiftPackagesAndModels() throws {
        let scratch = try ReleaseFixtures.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let bundle = try ReleaseFixtures.bundle(.amd64, binary: Fixtures.ledgeExecutable, models: ["efficientnet_lite0.tflite"], scratch: scratch)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bundle.sbom)) as? [String: Any])
        #expect(json["spdxVersion"] as? String == "SPDX-2.3")
        #expect(json["dataLicense"] as? String == "CC0-1.0")
        let packages = try #require(json["packages"] as? [[String: Any]])
        let purls = packages.flatMap { ($0["externalRefs"] as? [[String: Any]] ?? []).compactMap { $0["referenceLocator"] as? String } }
        let libc = try #require(bundle.packages.first { $0.name == "libc6" })
        #expect(purls.contains("pkg:deb/debian/libc6@\(libc.version.replacingOccurrences(of: "+", with: "%2B"))?arch=amd64&distro=debian-12"))
        #expect(purls.contains("pkg:deb/debian/libyaml-0-2@0.2.5-1?arch=amd64&distro=debian-12"))
        let certificates = try #require(bundle.packages.first { $0.name == "ca-certificates" })
        #expect(certificates.architecture == "all")
        #expect(certificates.license.hasPrefix("GPL-2.0-or-later AND MPL-2.0"), "\(certificates.license)")
        #expect(purls.contains("pkg:deb/debian/ca-certificates@\(certificates.version)?arch=all&distro=debian-12"))
        #expect(purls.contains("pkg:pypi/ai-edge-litert@2.3.0"))
        #expect(purls.contains("pkg:swift/github.com/apple/swift-nio@2.101.3"))
        let model = try Data(contentsOf: URL(fileURLWithPath: Fixtures.model("efficientnet_lite0.tflite")))
        let checksums = packages.flatMap { ($0["checksums"] as? [[String: String]] ?? []).compactMap { $0["checksumValue"] } }
        #expect(checksums.contains(ContentDigest.sha256(model)))
        #expect(checksums.contains(bundle.binarySHA256))
        let relationships = try #require(json["relationships"] as? [[String: String]])
        #expect(relationships.count == packages.count)
    }

    @Test func wrongArchitectureBinaryIsRefused() throws {
        let scratch = try ReleaseFixtures.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let error = try #require(throws: LedgeError.self) {
            try ReleaseFixtures.bundle(.arm64, binary: Fixtures.ledgeExecutable, models: ["efficientnet_lite0.tflite"], scratch: scratch)
        }
        #expect(error.code == .invalidInput)
        #expect(error.message == "binary for linux/arm64 '\(Fixtures.ledgeExecutable)' is an x86_64 ELF file, expected aarch64 for linux/arm64")
    }

    @Test func modelWithoutARuntimeForThePlatformIsRefused() throws {
        let scratch = try ReleaseFixtures.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // A platforms folder whose arm64 set-up has no ONNX Runtime.
        let platforms = scratch + "/platforms"
        let arm = platforms + "/linux-arm64"
        try FileManager.default.createDirectory(atPath: arm, withIntermediateDirectories: true)
        let source = ReleaseFixtures.platforms + "/linux-arm64"
        for item in ["root", "runtimes"] {
            try FileManager.default.createSymbolicLink(atPath: arm + "/" + item, withDestinationPath: source + "/" + item)
        }
        var manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/platform.json"))) as? [String: Any])
        manifest["runtimes"] = (manifest["runtimes"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String != "onnxruntime" }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: arm + "/platform.json"))
        let error = try #require(throws: LedgeError.self) {
            try ReleaseFixtures.bundle(
                .arm64, binary: ReleaseFixtures.arm64Helper, models: ["ch_ppocr_mobile_v2.0_cls_infer.onnx"], platforms: platforms,
                scratch: scratch)
        }
        #expect(error.code == .runtimeUnavailable)
        #expect(
            error.message
                == "model 'ch_ppocr_mobile_v2.0_cls_infer' (\(Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"))) needs ONNX Runtime, which has no library for linux/arm64 in \(arm)"
        )
    }

    @Test func missingPlatformFolderSaysWhatIsMissing() throws {
        let error = try #require(throws: LedgeError.self) {
            try PlatformInputs(platform: .arm64, platformsDirectory: "/nonexistent")
        }
        #expect(error.code == .runtimeUnavailable)
        #expect(
            error.message
                == "no files for linux/arm64: /nonexistent/linux-arm64/platform.json not found (the Debian libraries and runtime wheels of that architecture)"
        )
    }
}
