internal import CLiteRT
public import LedgeCore
import Synchronization

/// A loaded LiteRT library (`libLiteRt.so` from the `ai-edge-litert` wheel) and
/// one environment that registers only the CPU accelerator.
///
/// `@unchecked Sendable`: every stored property is set once in `init` and never
/// changes; the function table is immutable and LiteRT's environment may be
/// shared by compiled models on several threads (one compiled model per thread).
public final class LiteRTRuntime: @unchecked Sendable {
    /// The `ai-edge-litert` wheel version Ledge pins. The library exports no
    /// version function (no `LiteRtGetVersion`), so this constant is reported.
    public static let pinnedVersion = "2.3.0"

    /// The library's path.
    public let libraryPath: String
    /// The runtime version Ledge reports: ``pinnedVersion``.
    public let version: String
    /// The function table; valid while ``library`` lives.
    var api: UnsafePointer<ledge_litert_api> { library.api }
    let environment: OpaquePointer
    /// Owns the `dlopen` handle and the table: released after the environment (stored properties go after `deinit`).
    private let library: LiteRTLibrary

    private static let cache = Mutex<[String: LiteRTRuntime]>([:])

    /// Loads the library at `libraryPath` and creates a CPU-only environment.
    ///
    /// Throws `runtimeUnavailable` when the file cannot be loaded or lacks a LiteRT
    /// symbol, `runtimeFailure` when the environment cannot be created.
    public init(libraryPath: String) throws {
        // If anything below fails, `library` is released here and closes the handle.
        let library = try LiteRTLibrary(path: libraryPath)
        var environment: OpaquePointer?
        let status = ledge_litert_create_cpu_environment(library.api, &environment)
        guard status == LEDGE_LITERT_OK, let environment else {
            throw LedgeError.runtimeFailure("LiteRT: cannot create environment: \(String(cString: ledge_litert_status_text(status)))")
        }
        self.libraryPath = libraryPath
        self.version = Self.pinnedVersion
        self.library = library
        self.environment = environment
    }

    deinit {
        api.pointee.DestroyEnvironment(environment)
    }

    /// The runtime for `libraryPath` (or the one ``RuntimeLocator`` finds), created
    /// once per resolved path and shared.
    public static func shared(
        libraryPath: String? = nil,
        locator: RuntimeLocator = RuntimeLocator()
    ) throws -> LiteRTRuntime {
        let path = try locator.locate(.litert, explicitPath: libraryPath)
        return try cache.withLock { runtimes in
            if let runtime = runtimes[path] { return runtime }
            let runtime = try LiteRTRuntime(libraryPath: path)
            runtimes[path] = runtime
            return runtime
        }
    }

    /// Throws `runtimeFailure` naming `action` when `status` is not OK.
    func check(_ status: ledge_litert_status, _ action: @autoclosure () -> String) throws {
        guard status == LEDGE_LITERT_OK else {
            throw LedgeError.runtimeFailure(
                "LiteRT: \(action()) failed: \(String(cString: ledge_litert_status_text(status))) (status \(status))")
        }
    }
}

/// The `dlopen`ed LiteRT library and its function table, freed in `deinit`
/// (as swift-crypto's wrappers own their BoringSSL objects). The library itself
/// stays mapped: LiteRT's thread-local destructors would run in unmapped code
/// after `dlclose`; `dlopen` reuses the mapping when the path is loaded again.
final class LiteRTLibrary: @unchecked Sendable {
    let api: UnsafePointer<ledge_litert_api>

    /// Loads `path`; throws `runtimeUnavailable` when it is not a loadable LiteRT library.
    init(path: String) throws {
        var message = [CChar](repeating: 0, count: 512)
        guard let api = ledge_litert_load(path, &message, message.count) else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw LedgeError.runtimeUnavailable(
                "LiteRT library '\(path)' could not be loaded: \(reason); install it with 'pip install \(RuntimeLibraryKind.litert.pipRequirement)'")
        }
        self.api = api
    }

    deinit { ledge_litert_unload(api) }
}
