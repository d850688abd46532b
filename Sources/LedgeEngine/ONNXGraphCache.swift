internal import Crypto
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import LedgeCore
public import LedgeONNX
public import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// Keeps the graphs ONNX Runtime optimized, so the next session of the same
/// model skips the optimization (``ONNXGraph``).
///
/// An entry is named by the model's SHA-256 and a digest of what the optimized
/// graph depends on: the runtime's version and build, this CPU (vendor, model,
/// feature flags: the saved graph may hold layout transforms and kernels chosen
/// for it) and Ledge's version. Only CPU sessions use the cache. A miss opens
/// the model as usual and has the runtime write the graph to a temporary file,
/// sealed with its SHA-256 (``GraphSeal``) and renamed into place once the
/// session exists (readers never see half a file); an entry whose seal does not
/// match or that the runtime cannot load is logged, removed and rebuilt. Entries
/// are dropped oldest first (by last use) once they take more than
/// ``sizeLimit`` bytes. A folder that cannot be written only costs the speed-up.
public struct ONNXGraphCache: Sendable, Hashable {
    /// The folder of entries (created when first written).
    public var directory: String
    /// The bytes the entries may take together.
    public var sizeLimit: Int

    /// A cache in `directory` of at most `sizeLimit` bytes (default 512 MiB).
    public init(directory: String, sizeLimit: Int = 512 << 20) {
        self.directory = directory
        self.sizeLimit = sizeLimit
    }

    /// `$XDG_CACHE_HOME/ledge/onnx`, else `~/.cache/ledge/onnx`; `nil` without a home.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        userCacheFolder("onnx", environment: environment)
    }

    /// Models larger than this are not cached (a graph over 2 GB cannot be written as one protobuf).
    static let largestModel = 1 << 30

    /// A session of `file`: from the cached optimized graph when there is one, else
    /// optimizing the model and keeping the result. With `weights`, sessions of the cached graph
    /// share its initializers, and every session the pre-packed weights (``ONNXWeightShare``).
    public func open(
        file: ModelFile, options: SessionOptions, runtime: ONNXRuntime, weights: ONNXWeightShare? = nil, logger: Logger
    ) throws -> ONNXSession {
        let cpu = options.provider.map { $0.lowercased() == "cpu" } ?? true
        // The cache holds graphs optimized at every level: a config asking for less optimizes its own.
        guard cpu, file.data.count <= Self.largestModel, options.onnxRuntime.graphLevel == .all else {
            return try ONNXSession(file: file, options: options, runtime: runtime, weights: weights, logger: logger)
        }
        let entry = entry(for: file, context: Self.context(runtime))
        if let bytes = FileManager.default.contents(atPath: entry) {
            if let cached = Self.graph(in: bytes, entry: entry) {
                do {
                    let session: ONNXSession
                    do {
                        session = try ONNXSession(
                            file: file, options: options, runtime: runtime, graph: .optimized(cached.graph), weights: weights,
                            graphFile: cached.file, logger: logger)
                    } catch  where weights != nil {
                        // Weights the runtime will not take from the share: this session keeps its own, the entry stays.
                        logger.warning("\(file.path): this instance does not share the model's weights (\(error)); it keeps its own")
                        session = try ONNXSession(
                            file: file, options: options, runtime: runtime, graph: .optimized(cached.graph), logger: logger)
                    }
                    markUsed(entry)
                    logger.debug("\(file.path): optimized graph from the cache (\(entry))")
                    return session
                } catch {
                    logger.warning("ONNX graph cache: \(entry) could not be loaded (\(error)); optimizing \(file.path) again")
                }
            } else {
                logger.warning("ONNX graph cache: \(entry) is damaged (its SHA-256 does not match); optimizing \(file.path) again")
            }
            unlink(entry)
        }
        let session = try openSaving(file: file, options: options, runtime: runtime, entry: entry, weights: weights, logger: logger)
        // A session that shares the model's weights reads them from the entry just written, so the
        // instance that optimized the model does not keep a copy of its own beside the others' one.
        guard let weights, let bytes = FileManager.default.contents(atPath: entry), let cached = Self.graph(in: bytes, entry: entry),
            weights.sharesInitializers(of: cached.graph, file: cached.file, logger: logger),
            let shared = try? ONNXSession(
                file: file, options: options, runtime: runtime, graph: .optimized(cached.graph), weights: weights,
                graphFile: cached.file, logger: logger)
        else { return session }
        return shared
    }

    /// The optimized graph sealed in `bytes` (read from `entry`) and the file that identifies it;
    /// `nil` when the seal does not match.
    private static func graph(in bytes: Data, entry: String) -> (graph: Data, file: ONNXGraphFile)? {
        GraphSeal.graph(in: bytes, path: entry, stamp: stamp(entry)).map {
            ($0, ONNXGraphFile(path: entry, digest: GraphSeal.digest(of: bytes)))
        }
    }

    /// Opens `file` optimizing it, with the runtime writing the optimized graph beside `entry`, then renamed to it.
    private func openSaving(
        file: ModelFile, options: SessionOptions, runtime: ONNXRuntime, entry: String, weights: ONNXWeightShare?, logger: Logger
    ) throws -> ONNXSession {
        guard let temporary = temporary(for: entry, caching: file.path, logger: logger) else {
            return try ONNXSession(file: file, options: options, runtime: runtime, weights: weights, logger: logger)
        }
        defer { unlink(temporary) }  // gone once renamed; removed when anything failed
        let session: ONNXSession
        do {
            session = try ONNXSession(
                file: file, options: options, runtime: runtime, graph: .optimizeSaving(to: temporary), weights: weights, logger: logger)
        } catch {
            // The model's own error, unless only the writing failed: open it without saving.
            return try ONNXSession(file: file, options: options, runtime: runtime, weights: weights, logger: logger)
        }
        // Sealed (the graph's SHA-256 appended), flushed, then renamed into place.
        guard let graph = FileManager.default.contents(atPath: temporary), !graph.isEmpty else { return session }
        if appendFlushed(GraphSeal.seal(graph), to: temporary) && rename(temporary, entry) == 0 {
            logger.debug("\(file.path): optimized graph kept in the cache (\(entry))")
            prune(keeping: entry, logger: logger)
        }
        return session
    }

    /// What an entry depends on besides the model, the CPU and Ledge: the runtime's version and build.
    static func context(_ runtime: ONNXRuntime) -> String { "onnxruntime \(runtime.version) \(runtime.buildInfo ?? "")" }
}

extension ONNXGraphCache: CacheFolder {
    static let title = "ONNX graph cache"
    static let suffixes = [".onnx"]
}

extension ModelFile {
    /// The file's SHA-256 in lowercase hex, computed once for all copies of this `ModelFile`.
    var sha256: String { digest.get { SHA256.hash(data: data).map { cFormat("%02x", $0) }.joined() } }
}

/// `$XDG_CACHE_HOME/ledge/NAME` (an absolute `XDG_CACHE_HOME`), else `~/.cache/ledge/NAME`; `nil` without a home.
func userCacheFolder(_ name: String, environment: [String: String]) -> String? {
    if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/ledge/" + name }
    guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
    return home + "/.cache/ledge/" + name
}

/// What this CPU is, for cache keys: entries may hold kernels or layouts chosen for it.
enum CPUIdentity {
    /// What this CPU is, as `/proc/cpuinfo` tells it for its first processor:
    /// vendor, family, model, and feature flags (x86) or implementer, part and features (Arm).
    static let current: String = {
        var machine = utsname()
        uname(&machine)
        let arch = withUnsafeBytes(of: &machine.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return arch }
        let keys: Set<String> = [
            "vendor_id", "cpu family", "model", "model name", "flags", "CPU implementer", "CPU architecture", "CPU variant",
            "CPU part", "Features",
        ]
        var seen: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            let name = parts.first.map(trimmed) ?? ""
            guard keys.contains(name), seen[name] == nil else { continue }
            seen[name] = parts.count > 1 ? trimmed(parts[1]) : ""
        }
        return ([arch] + seen.keys.sorted().map { "\($0)=\(seen[$0]!)" }).joined(separator: ";")
    }()
}

/// `text` without the white space at either end.
private func trimmed(_ text: Substring) -> String {
    String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
}
