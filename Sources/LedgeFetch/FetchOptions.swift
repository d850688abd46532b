#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where fetched models are kept and what a fetch may do.
public struct FetchOptions: Sendable, Hashable {
    /// The cache: `sha256/<hex>/<file name>`, `sha256/<hex>.d/` (unpacked archives), `partial/` (downloads under way).
    public var cacheDirectory: String
    /// Size, redirect and time limits of a download.
    public var download: DownloadLimits
    /// The most bytes an archive may unpack to, counted as they are written.
    public var maxUnpackedBytes: Int64
    /// The most entries (files and folders) an archive may hold.
    public var maxEntries: Int
    /// Where `s3://` URIs are fetched from and with which credentials; `nil`: read from the
    /// process's environment at each fetch (``S3Settings/from(environment:)``).
    public var s3: S3Settings?
    /// The Hub of `hf://` URIs and its token (`nil`: read from the environment at each fetch).
    public var huggingFace: HuggingFaceSettings?
    /// Where `gs://` URIs are fetched from and with which credentials (`nil`: read from the
    /// environment at each fetch).
    public var gcs: GCSSettings?

    /// Options with these values; the cache defaults to ``defaultCacheDirectory(environment:)``.
    public init(
        cacheDirectory: String? = nil, download: DownloadLimits = DownloadLimits(), maxUnpackedBytes: Int64 = 4 << 30,
        maxEntries: Int = 10_000
    ) {
        self.cacheDirectory = cacheDirectory ?? Self.defaultCacheDirectory()
        self.download = download
        self.maxUnpackedBytes = maxUnpackedBytes
        self.maxEntries = maxEntries
    }

    /// `$XDG_CACHE_HOME/ledge/models`, else `$HOME/.cache/ledge/models`, else `/tmp/ledge-cache/models`.
    public static func defaultCacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/ledge/models" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/ledge/models" }
        return "/tmp/ledge-cache/models"
    }
}
