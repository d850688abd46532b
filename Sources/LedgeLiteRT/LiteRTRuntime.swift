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
    let api: UnsafePointer<ledge_litert_api>
    let environment: OpaquePointer

    private static let cache = Mutex<[String: LiteRTRuntime]>([:])

    /// Loads the library at `libraryPath` and creates a CPU-only environment.
    ///
    /// Throws `runtimeUnavailable` when the file cannot be loaded or lacks a LiteRT
    /// symbol, `runtimeFailure` when the environment cannot be created.
    public init(libraryPath: String) throws {
        var message = [CChar](repeating: 0, count: 512)
        guard let api = ledge_litert_load(libraryPath, &message, message.count) else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw LedgeError.runtimeUnavailable(
                "LiteRT library '\(libraryPath)' could not be loaded: \(reason); install it with 'pip install \(RuntimeLibraryKind.litert.pipRequirement)' or run 'make setup'")
        }
        var environment: OpaquePointer?
        let status = ledge_litert_create_cpu_environment(api, &environment)
        guard status == LEDGE_LITERT_OK, let environment else {
            throw LedgeError.runtimeFailure("LiteRT: cannot create environment: \(String(cString: ledge_litert_status_text(status)))")
        }
        self.libraryPath = libraryPath
        self.version = Self.pinnedVersion
        self.api = api
        self.environment = environment
    }

    deinit {
        api.pointee.DestroyEnvironment(environment)
    }

    /// The runtime for `libraryPath` (or the one ``RuntimeLocator`` finds), created
    /// once per resolved path and shared.
    public static func shared(libraryPath: String? = nil,
                              locator: RuntimeLocator = RuntimeLocator()) throws -> LiteRTRuntime {
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
