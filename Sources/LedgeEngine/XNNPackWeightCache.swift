internal import Crypto
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore
public import LedgeLiteRT
public import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Keeps XNNPACK's packed weights of TFLite models in files (XNNPACK's weight cache), so that
/// the instances of a model share one copy and later opens skip the packing.
///
/// Without it every compiled instance packs the model's weights into memory of its own
/// (≈ 4.7 MB for efficientnet_lite0: three instances, three copies). With it XNNPACK maps the
/// entry read-only and shared: the instances of a model, and the servers of one device, use the
/// same page-cache pages, which the kernel may also drop and read again under memory pressure.
///
/// An entry is named as ``ONNXGraphCache``'s are: the model's SHA-256 and a digest of the runtime
/// (version, library and its size), this CPU (the packing follows its kernels) and Ledge's version.
/// A miss compiles with XNNPACK writing a temporary file, which is sealed — its SHA-256 in a
/// `.sha256` file beside it, as XNNPACK refuses extra bytes in its own — and renamed into place
/// once the session exists. An entry is used only once its seal matches (checked once per
/// process and entry: a device's SD card can flip a bit, and damaged weights would answer
/// wrongly); a damaged one is logged, removed and rebuilt. Entries are dropped oldest first once
/// they take more than ``sizeLimit`` bytes. A folder that cannot be written only costs the sharing.
public struct XNNPackWeightCache: Sendable, Hashable {
    /// The folder of entries (created when first written).
    public var directory: String
    /// The bytes the entries may take together.
    public var sizeLimit: Int
    /// Keep the model bytes LiteRT holds in an unnamed file in ``directory`` rather than in memory
    /// (``ModelCopy``): for processes that serve for long (`ledge serve`), whose resident memory
    /// then drops them once compiled; a one-shot command would only pay for the write. (Sessions
    /// opened without the cache keep them in memory.)
    public var mapsModelCopies = false

    /// Where this cache's sessions keep the model bytes, `nil` for memory.
    private var modelCopyFolder: String? { mapsModelCopies ? directory : nil }

    /// A cache in `directory` of at most `sizeLimit` bytes (default 512 MiB).
    public init(directory: String, sizeLimit: Int = 512 << 20) {
        self.directory = directory
        self.sizeLimit = sizeLimit
    }

    /// `$XDG_CACHE_HOME/ledge/xnnpack`, else `~/.cache/ledge/xnnpack`; `nil` without a home.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        userCacheFolder("xnnpack", environment: environment)
    }

    /// The seal's file beside an entry.
    static let sealSuffix = ".sha256"

    /// A session of `file` whose packed weights come from the cache, packed and kept there on a miss.
    public func open(file: ModelFile, options: SessionOptions, runtime: LiteRTRuntime, logger: Logger) throws -> LiteRTSession {
        let entry = entry(for: file, context: Self.context(runtime))
        // XNNPACK reads the path from a TOML string written without escapes: a folder whose
        // name would need one (a quote, a backslash, a control character) is not used.
        guard !entry.contains(where: { $0 == "\"" || $0 == "\\" || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            logger.debug("XNNPACK weight cache: \(directory) cannot be named to XNNPACK; not caching \(file.path)")
            return try LiteRTSession(file: file, options: options, runtime: runtime, logger: logger)
        }
        if access(entry, F_OK) == 0 {
            if WeightSeal.matches(entry: entry, stamp: Self.stamp(entry)) {
                do {
                    let session = try LiteRTSession(
                        file: file, options: options, runtime: runtime, weightCache: entry,
                        modelCopyFolder: modelCopyFolder, logger: logger)
                    markUsed(entry)
                    logger.debug("\(file.path): packed weights from the cache (\(entry))")
                    return session
                } catch {
                    logger.warning("XNNPACK weight cache: \(entry) could not be used (\(error)); packing \(file.path) again")
                }
            } else {
                logger.warning("XNNPACK weight cache: \(entry) is damaged (its SHA-256 does not match); packing \(file.path) again")
            }
            remove(entry)
        }
        return try openSaving(file: file, options: options, runtime: runtime, entry: entry, logger: logger)
    }

    /// Compiles `file` with XNNPACK writing its packed weights beside `entry`, then seals them and renames them to it.
    private func openSaving(file: ModelFile, options: SessionOptions, runtime: LiteRTRuntime, entry: String, logger: Logger) throws
        -> LiteRTSession
    {
        guard let temporary = temporary(for: entry, caching: file.path, logger: logger) else {
            return try LiteRTSession(file: file, options: options, runtime: runtime, logger: logger)
        }
        defer {
            unlink(temporary)  // gone once renamed; removed when anything failed
            unlink(temporary + Self.sealSuffix)
        }
        let session: LiteRTSession
        do {
            session = try LiteRTSession(
                file: file, options: options, runtime: runtime, weightCache: temporary,
                modelCopyFolder: modelCopyFolder, logger: logger)
        } catch {
            // The model's own error, unless only the cache failed: open it without one.
            return try LiteRTSession(file: file, options: options, runtime: runtime, logger: logger)
        }
        // The session maps the file it wrote; renaming it later changes nothing for the session.
        guard let weights = FileManager.default.contents(atPath: temporary), !weights.isEmpty,
            appendFlushed(WeightSeal.seal(weights), to: temporary + Self.sealSuffix), appendFlushed([], to: temporary),
            rename(temporary + Self.sealSuffix, entry + Self.sealSuffix) == 0, rename(temporary, entry) == 0
        else { return session }
        logger.debug("\(file.path): packed weights kept in the cache (\(entry))")
        prune(keeping: entry, logger: logger)
        return session
    }

    /// What an entry depends on besides the model, the CPU and Ledge: the runtime's version and library.
    static func context(_ runtime: LiteRTRuntime) -> String {
        var library = stat()
        let size = stat(runtime.libraryPath, &library) == 0 ? Int(library.st_size) : 0
        return "litert \(runtime.version) \(runtime.libraryPath) \(size)"
    }
}

extension XNNPackWeightCache: CacheFolder {
    static let title = "XNNPACK weight cache"
    static let suffixes = [".xnn", sealSuffix]
}

/// The seal of an ``XNNPackWeightCache`` entry: the entry's SHA-256 in hex, in a file beside it.
enum WeightSeal {
    static func digest(_ bytes: Data) -> String { SHA256.hash(data: bytes).lowercaseHex }

    /// What the seal's file holds for `weights`.
    static func seal(_ weights: Data) -> [UInt8] { Array((digest(weights) + "\n").utf8) }

    /// Whether `entry`'s SHA-256 is the one its seal holds (``CheckedSeals``).
    static func matches(entry: String, stamp: String) -> Bool {
        CheckedSeals.sound(entry, stamp: stamp) {
            guard let seal = FileManager.default.contents(atPath: entry + XNNPackWeightCache.sealSuffix),
                let weights = FileManager.default.contents(atPath: entry)
            else { return false }
            return Array(seal) == Self.seal(weights)
        }
    }
}
