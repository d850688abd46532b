#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore

/// A platform an image or a device release is built for: `linux/amd64` or `linux/arm64`.
public struct ReleasePlatform: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The OCI architecture name: `amd64` or `arm64`.
    public let architecture: String

    private init(architecture: String) { self.architecture = architecture }

    /// `linux/amd64` (x86_64).
    public static let amd64 = ReleasePlatform(architecture: "amd64")
    /// `linux/arm64` (aarch64, the OCI variant `v8`).
    public static let arm64 = ReleasePlatform(architecture: "arm64")
    /// Every platform Ledge builds for.
    public static let all: [ReleasePlatform] = [.amd64, .arm64]

    /// Parses `linux/amd64`, `linux/arm64`, `linux/arm64/v8` (and `amd64`, `arm64`,
    /// `x86_64`, `aarch64`), else a ``LedgeError/Code/usage`` error naming the value.
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let arch: String
        switch parts.count {
        case 1: arch = parts[0]
        case 2 where parts[0] == "linux": arch = parts[1]
        case 3 where parts[0] == "linux" && parts[2] == "v8" && parts[1] == "arm64": arch = parts[1]
        default: arch = ""
        }
        switch arch {
        case "amd64", "x86_64": self = .amd64
        case "arm64", "aarch64": self = .arm64
        default:
            throw LedgeError.usage("platform '\(text)': expected linux/amd64 or linux/arm64")
        }
    }

    /// `linux/amd64` or `linux/arm64`.
    public var description: String { "linux/" + architecture }
    /// A name usable in file names: `linux-amd64`.
    public var fileName: String { "linux-" + architecture }
    /// The OCI platform variant (`v8` for arm64), if any.
    public var variant: String? { self == .arm64 ? "v8" : nil }
    /// The ELF `e_machine` of this platform's executables.
    public var elfMachine: ELFMachine { self == .arm64 ? .aarch64 : .x86_64 }
    /// The Debian multiarch triplet.
    public var triplet: String { self == .arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu" }

    /// The platform of the machine this process runs on, if Ledge builds for it.
    public static var host: ReleasePlatform? {
        #if arch(x86_64)
        return .amd64
        #elseif arch(arm64)
        return .arm64
        #else
        return nil
        #endif
    }

    public static func < (lhs: ReleasePlatform, rhs: ReleasePlatform) -> Bool { lhs.architecture < rhs.architecture }
}
