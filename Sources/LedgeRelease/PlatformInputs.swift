#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore

/// What set-up prepared for one platform (`make setup` writes
/// `platforms/linux-ARCH/platform.json`): the Debian packages extracted under
/// `root/`, with the files each installed, and the runtime libraries unpacked
/// from the pinned wheels of that architecture.
public struct PlatformInputs: Sendable {
    /// A Debian package extracted under `root/`.
    public struct DebianPackage: Codable, Sendable, Hashable {
        public var name: String
        public var version: String
        public var architecture: String
        /// sha256 of the `.deb`.
        public var sha256: String
        /// Its path in the Debian archive (`pool/main/…`).
        public var filename: String
        public var source: String?
        /// An SPDX expression read from the copyright file, or `NOASSERTION`.
        public var license: String
        /// The copyright file, relative to `root/`.
        public var copyright: String
        /// Regular files and symlinks it installed, relative to `root/`.
        public var files: [String]
    }

    /// A runtime library unpacked from a wheel.
    public struct Runtime: Codable, Sendable, Hashable {
        /// `onnxruntime` or `litert`.
        public var kind: String
        /// The PyPI package name.
        public var name: String
        public var version: String
        public var wheel: String
        /// sha256 of the wheel.
        public var sha256: String
        /// The library, relative to the platform folder.
        public var library: String
        public var license: String

        /// The kinds there are: `litert` and `onnxruntime`.
        public static let kinds = ["litert", "onnxruntime"]

        /// `LiteRT` or `ONNX Runtime`.
        public static func displayName(_ kind: String) -> String { kind == "litert" ? "LiteRT" : "ONNX Runtime" }
    }

    struct Manifest: Codable, Sendable {
        struct Debian: Codable, Sendable {
            var release: String
            var codename: String
        }
        var platform: String
        var triplet: String
        var elfMachine: UInt16
        var interpreter: String
        var debian: Debian
        var packages: [DebianPackage]
        var runtimes: [Runtime]
    }

    /// The platform.
    public let platform: ReleasePlatform
    /// The platform folder.
    public let directory: String
    /// The extracted Debian tree.
    public var root: String { directory + "/root" }
    /// The dynamic loader's absolute path, as executables name it.
    public let interpreter: String
    /// Debian's release (`12`) and codename (`bookworm`).
    public let debianRelease: String
    public let debianCodename: String
    /// The extracted packages.
    public let packages: [DebianPackage]
    /// The runtime libraries of this platform.
    public let runtimes: [Runtime]

    /// Reads `DIRECTORY/linux-ARCH/platform.json`. A missing folder is a
    /// ``LedgeError/Code/runtimeUnavailable`` error naming it.
    public init(platform: ReleasePlatform, platformsDirectory: String) throws {
        let directory = platformsDirectory + "/" + platform.fileName
        let path = directory + "/platform.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.runtimeUnavailable(
                "no files for \(platform): \(path) not found (the Debian libraries and runtime wheels of that architecture)")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw LedgeError.invalidInput("\(path) is not a platform manifest: \(error)")
        }
        guard manifest.platform == platform.description, manifest.elfMachine == platform.elfMachine.rawValue else {
            throw LedgeError.invalidInput("\(path) describes \(manifest.platform), expected \(platform)")
        }
        self.platform = platform
        self.directory = directory
        self.interpreter = manifest.interpreter
        self.debianRelease = manifest.debian.release
        self.debianCodename = manifest.debian.codename
        self.packages = manifest.packages
        self.runtimes = manifest.runtimes
    }

    /// The runtime of `kind` (`onnxruntime`, `litert`), if this platform has it.
    public func runtime(_ kind: String) -> Runtime? { runtimes.first { $0.kind == kind } }

    /// The package that installed `path` (relative to `root/`).
    public func package(owning path: String) -> DebianPackage? {
        packages.first { $0.files.contains(path) }
    }
}
