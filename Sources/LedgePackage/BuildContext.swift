#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeRelease

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// A Docker build context of the same files as the image: `Dockerfile`
/// (`FROM scratch`, one `COPY` per layer, the same user, entrypoint, env and
/// labels) and `linux-ARCH/LAYER/…` trees, so docker, podman, buildah and
/// kaniko build the image users would get from `ledge package`.
enum BuildContext {
    /// Whether a folder of these names is a build context as `--context` writes one (it may be replaced).
    @Sendable static func isContext(_ names: [String]) -> Bool {
        names.contains("Dockerfile") && names.allSatisfy { $0 == "Dockerfile" || $0 == ".dockerignore" || $0.hasPrefix("linux-") }
    }

    static func write(_ bundles: [ReleaseBundle], options: ImageOptions, to root: String) throws {
        for bundle in bundles {
            for file in bundle.files {
                let layer = file.path == "home/ledge" ? "home" : file.layer.name
                try place(file, at: root + "/\(bundle.platform.fileName)/\(layer)/" + file.path)
            }
        }
        guard let first = bundles.first else { return }
        try ImageOutput.write(Array(dockerfile(first, options: options, platforms: bundles.map(\.platform)).utf8), to: root + "/Dockerfile")
        try ImageOutput.write(Array("*\n!Dockerfile\n!linux-*\n".utf8), to: root + "/.dockerignore")
    }

    static func dockerfile(_ bundle: ReleaseBundle, options: ImageOptions, platforms: [ReleasePlatform]) -> String {
        var labels = ImageBuilder.imageAnnotations(options.metadata, labels: options.labels)
        for model in bundle.models {
            labels["dev.ledge.model.\(model.name).format"] = model.format
            labels["dev.ledge.model.\(model.name).sha256"] = model.sha256
            labels["dev.ledge.model.\(model.name).runtime"] = model.runtime
            labels["dev.ledge.model.\(model.name).runtime-version"] = model.runtimeVersion
        }
        let id = ReleaseBundle.userID
        var lines = [
            "# syntax=docker/dockerfile:1",
            "# Written by ledge package \(LedgeVersion.current): the files of its OCI image, for docker, podman, buildah or kaniko.",
            "# Platforms: \(platforms.map(\.description).joined(separator: ", ")), e.g.",
            "#   docker buildx build --platform \(platforms.map(\.description).joined(separator: ",")) -t IMAGE .",
            "FROM scratch",
            "ARG TARGETARCH",
            "COPY linux-${TARGETARCH}/system/ /",
            "COPY --chown=\(id):\(id) linux-${TARGETARCH}/home/ /",
            "COPY linux-${TARGETARCH}/application/ /",
            "COPY linux-${TARGETARCH}/models/ /",
        ]
        // One Dockerfile serves every platform: LD_LIBRARY_PATH lists each platform's triplet.
        let triplets = Set(platforms.map(\.triplet)).sorted()
        let libraryPath =
            (["/\(ReleaseBundle.libraryDirectory)"] + triplets.flatMap { ["/usr/lib/\($0)", "/lib/\($0)"] }).joined(separator: ":")
        let envLines = bundle.environment.map { line -> String in
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts[0] == "LD_LIBRARY_PATH" ? libraryPath : (parts.count > 1 ? parts[1] : "")
            return "\(parts[0])=\(quoted(value))"
        }
        lines.append("ENV " + envLines.joined(separator: " \\\n    "))
        lines.append("LABEL " + labels.sorted { $0.key < $1.key }.map { "\(quoted($0.key))=\(quoted($0.value))" }.joined(separator: " \\\n      "))
        lines.append("USER \(id):\(id)")
        lines.append("WORKDIR \(bundle.workingDirectory)")
        lines.append("EXPOSE \(ReleaseBundle.port) \(ReleaseBundle.grpcPort)")
        lines.append("ENTRYPOINT [" + bundle.entrypoint.map { quoted($0) }.joined(separator: ", ") + "]")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    private static func place(_ file: ReleaseFile, at path: String) throws {
        let fm = FileManager.default
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        switch file.content {
        case .directory:
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        case .symlink(let target):
            try fm.createSymbolicLink(atPath: path, withDestinationPath: target)
            return
        case .bytes(let bytes):
            try ImageOutput.write(bytes, to: path)
        case .file(let source):
            try fm.copyItem(atPath: source, toPath: path)
        }
        chmod(path, mode_t(file.mode))
    }
}
