#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgePackage
internal import LedgeRelease

/// The human-readable result of `ledge package`.
enum PackageText {
    static func render(_ result: PackageResult, seconds: Double) -> String {
        if result.indexDigest.isEmpty {
            let platforms = result.platforms.map(\.platform).joined(separator: ", ")
            return
                "build context \(result.destination): Dockerfile and the files of \(platforms) (docker buildx build --platform \(platforms.replacing(", ", with: ",")) \(result.destination))"
        }
        var lines = ["image \(result.destination)", "  index \(result.indexDigest)"]
        for platform in result.platforms {
            let layers = platform.layers.map { "\($0.name) \(megabytes($0.size))" }.joined(separator: ", ")
            lines.append("  \(platform.platform): \(megabytes(platform.compressedSize)) compressed (\(layers)), manifest \(platform.manifestDigest)")
            lines.append("    runtimes: \(platform.runtimes.isEmpty ? "none" : platform.runtimes.joined(separator: ", "))")
            if let sbom = platform.sbom { lines.append("    sbom: \(sbom)") }
        }
        lines.append(
            "  models: "
                + (result.models.isEmpty
                    ? "none: the server alone (its arguments add --model-uri URI or --model-repository s3://BUCKET/PREFIX)"
                    : result.models.map { "\($0.name) (\($0.format), sha256 \($0.sha256.prefix(12)))" }.joined(separator: ", ")))
        if let uploaded = result.uploadedBlobs, let skipped = result.skippedBlobs {
            let seconds = cFormat("%.2f", result.pushSeconds ?? 0)
            lines.append("  pushed in \(seconds) s: \(uploaded) blob(s) uploaded (\(megabytes(result.uploadedBytes ?? 0))), \(skipped) already there")
        }
        lines.append("  done in \(cFormat("%.2f", seconds)) s")
        return lines.joined(separator: "\n")
    }

    static func megabytes(_ bytes: Int) -> String { cFormat("%.1f MB", Double(bytes) / 1_000_000) }
}

/// A one-line progress bar on a terminal's stderr; silent otherwise.
final class ProgressBar: Sendable {
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    var draw: @Sendable (Int, Int, String) -> Void {
        { [enabled] done, total, message in
            guard enabled else { return }
            let width = 24
            let filled = total > 0 ? min(width, done * width / total) : 0
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            let line = "\r\u{1B}[2K[\(bar)] \(done)/\(total) \(message)"
            StandardStreams.writeError(line)
        }
    }

    func finish() {
        if enabled { StandardStreams.writeError("\r\u{1B}[2K") }
    }
}

/// Credentials from Docker's (or podman's) auth file: `auths[registry].auth` = base64(user:password).
enum DockerConfig {
    static func credentials(for registry: String, environment: [String: String]) -> RegistryCredentials? {
        var files: [String] = []
        if let path = environment["REGISTRY_AUTH_FILE"] { files.append(path) }
        if let folder = environment["DOCKER_CONFIG"] { files.append(folder + "/config.json") }
        if let home = environment["HOME"] { files.append(home + "/.docker/config.json") }
        struct File: Decodable {
            struct Auth: Decodable { var auth: String? }
            var auths: [String: Auth]?
        }
        let keys = registry == "registry-1.docker.io" ? ["https://index.docker.io/v1/", "docker.io", registry] : [registry, "https://" + registry]
        for file in files {
            guard let data = FileManager.default.contents(atPath: file), let config = try? JSONDecoder().decode(File.self, from: data) else {
                continue
            }
            for key in keys {
                guard let auth = config.auths?[key]?.auth, let decoded = Data(base64Encoded: auth) else { continue }
                let text = String(decoding: decoded, as: UTF8.self)
                guard let colon = text.firstIndex(of: ":") else { continue }
                return RegistryCredentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
            }
        }
        return nil
    }
}
