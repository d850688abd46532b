public import Foundation

/// Thin wrappers over the `skopeo` CLI (Debian's skopeo 1.9), to read what `ledge package`
/// wrote: manifests and indexes in a registry, `docker-archive:` and `oci:` outputs (no Docker
/// engine runs on the test machines). Failures throw ``CommandFailure`` with skopeo's stderr.
///
/// Credentials and `--…-tls-verify=false` apply to `docker://` references only; every command
/// runs with `--insecure-policy` (no dependency on `/etc/containers/policy.json`) and copies with
/// `--retry-times 0` (a failure shows at once).
public enum Skopeo {
    /// Where Debian's skopeo package installs the CLI.
    public static let executable = "/usr/bin/skopeo"

    /// `skopeo inspect --raw REFERENCE`: the manifest or index exactly as stored (the bytes its
    /// digest is computed over); with `config`, the image's config blob instead (`--config --raw`).
    /// `reference` is e.g. `docker://127.0.0.1:PORT/ledge/effnet:1`, `oci:DIR:TAG` or `docker-archive:PATH`.
    public static func inspectRaw(
        reference: String, credentials: RegistryCredentials? = nil, tlsVerify: Bool = false, config: Bool = false
    ) async throws -> Data {
        try await run(["inspect", "--raw"] + (config ? ["--config"] : []) + remoteOptions(reference, credentials, tlsVerify, side: "") + [reference])
    }

    /// `skopeo inspect REFERENCE`: skopeo's JSON summary (`Digest`, `Architecture`, `Os`,
    /// `Layers`, `Env`, `Labels`, …). With a multi-arch index it describes the image for
    /// `overrideArch` (default: the host's architecture).
    public static func inspect(
        reference: String, credentials: RegistryCredentials? = nil, tlsVerify: Bool = false, overrideArch: String? = nil
    ) async throws -> Data {
        try await run(global(overrideArch: overrideArch) + ["inspect"] + remoteOptions(reference, credentials, tlsVerify, side: "") + [reference])
    }

    /// `skopeo inspect docker-archive:PATH`, decoded: checks that a `docker save`-style tar is
    /// readable and returns skopeo's summary of its image.
    public static func inspectDockerArchive(path: String) async throws -> ImageSummary {
        let data = try await inspect(reference: "docker-archive:" + path)
        return try JSONDecoder().decode(ImageSummary.self, from: data)
    }

    /// `skopeo copy FROM TO`, e.g. from `docker://127.0.0.1:PORT/ledge/effnet:1` to
    /// `oci:/tmp/layout:amd64`; `credentials` go to each side that is a `docker://` reference.
    /// With `overrideArch` (`amd64`, `arm64`) skopeo picks that image out of a multi-arch index;
    /// with `all`, it copies the whole index. Returns skopeo's standard output.
    @discardableResult
    public static func copy(
        from source: String, to destination: String, credentials: RegistryCredentials? = nil, tlsVerify: Bool = false,
        overrideArch: String? = nil, all: Bool = false
    ) async throws -> String {
        let arguments =
            global(overrideArch: overrideArch) + ["copy", "--retry-times", "0"] + (all ? ["--all"] : [])
            + remoteOptions(source, credentials, tlsVerify, side: "src-") + remoteOptions(destination, credentials, tlsVerify, side: "dest-")
            + [source, destination]
        return String(decoding: try await run(arguments), as: UTF8.self)
    }

    /// The fields of `skopeo inspect`'s summary the tests read.
    public struct ImageSummary: Decodable, Sendable {
        public var Digest: String
        public var Architecture: String
        public var Os: String
        public var Layers: [String]
        public var Env: [String]?
        public var Labels: [String: String]?
        public var RepoTags: [String]?
    }

    private static func global(overrideArch: String?) -> [String] {
        ["--insecure-policy"] + (overrideArch.map { ["--override-arch", $0, "--override-os", "linux"] } ?? [])
    }

    private static func remoteOptions(_ reference: String, _ credentials: RegistryCredentials?, _ tlsVerify: Bool, side: String) -> [String] {
        guard reference.hasPrefix("docker://") else { return [] }
        return ["--\(side)tls-verify=\(tlsVerify)"] + (credentials.map { ["--\(side)creds", $0.colonSeparated] } ?? [])
    }

    private static func run(_ arguments: [String]) async throws -> Data {
        try Tool.require(executable, debianPackage: "skopeo")
        return try await Tool.run(executable, arguments)
    }
}
