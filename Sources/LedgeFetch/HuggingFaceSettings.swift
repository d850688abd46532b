#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// Where `hf://` URIs are fetched from and with which token, as huggingface_hub reads them: the
/// Hub at `HF_ENDPOINT` (default `https://huggingface.co`; a mirror or a private Hub), the token
/// from `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the file `HF_TOKEN_PATH` or
/// `$HF_HOME/token` (default `~/.cache/huggingface/token`, where `huggingface-cli login` writes
/// it). A file is `ENDPOINT/OWNER/REPO/resolve/REVISION/PATH`, which the Hub redirects to its
/// CDN: the token goes to the Hub's own host only, never to the place it redirects to (a
/// pre-signed URL that refuses one).
public struct HuggingFaceSettings: Sendable, Hashable {
    /// The Hub's base URL, without a trailing slash.
    public var endpoint: String
    public var token: String?

    /// The settings the process's environment gives.
    public init() { self.init(environment: ProcessInfo.processInfo.environment) }

    /// The settings `environment` gives.
    public init(environment: [String: String]) {
        var endpoint = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        let named = [environment["HF_TOKEN"], environment["HUGGING_FACE_HUB_TOKEN"]].compactMap { $0 }.first { !$0.isEmpty }
        let home = environment["HOME"].map { $0 + "/.cache/huggingface" }
        let file = environment["HF_TOKEN_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HF_HOME"] ?? home).map { $0 + "/token" }
        let stored = file.flatMap { FileManager.default.contents(atPath: $0) }.map {
            String(decoding: $0, as: UTF8.self).trimmingWhitespaceAndNewlines()
        }
        token = named ?? stored.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL of `path` in `repository` at `revision`.
    public func url(repository: String, revision: String, path: String) -> String {
        "\(endpoint)/\(repository)/resolve/\(revision.percentEncoded())/\(path.percentEncoded(keepingSlash: true))"
    }

    /// The headers of a request to `url`: the token, to the Hub itself only (its host and port,
    /// under its path), never to where it redirects.
    var headers: @Sendable (RequestURL) -> [(String, String)] {
        let hub = RequestURL(endpoint + "/")
        let token = self.token
        return { url in
            guard let token, let hub, url.secure == hub.secure, url.host == hub.host, url.port == hub.port, url.target.hasPrefix(hub.target)
            else { return [] }
            return [("Authorization", "Bearer \(token)")]
        }
    }
}
