internal import CONNXRuntime
internal import LedgeCore
internal import Synchronization

/// One loaded ONNX Runtime library and its environment (`OrtEnv`, warnings and
/// worse logged by the runtime itself).
///
/// Load it once per library path with ``shared(libraryPath:)``; sessions keep
/// their runtime alive. The library is never unloaded (ONNX Runtime does not
/// support being unloaded while its thread pools may exist).
public final class ONNXRuntime: Sendable {
    /// The library's path.
    public let libraryPath: String
    /// The runtime's version, e.g. `1.31.1`.
    public let version: String
    /// The C API version granted (15, or 12 on older runtimes).
    public let apiVersion: Int
    /// The runtime's build description (`GetBuildInfoString`), when it has one.
    public let buildInfo: String?
    /// ONNX Runtime's names of the execution providers compiled into this
    /// library, e.g. `["AzureExecutionProvider", "CPUExecutionProvider"]`.
    public let availableProviders: [String]

    let api: ORTAPI
    /// The environment every session of this runtime is created in.
    let env: ORTHandle
    /// Describes CPU memory Ledge owns, for zero-copy input tensors.
    let cpuMemoryInfo: ORTHandle
    /// True when the environment holds a CPU arena that sessions opened with
    /// ``SessionOptions/sharesMemory`` use (`session.use_env_allocators`).
    public let hasSharedArena: Bool

    private static let cache = Mutex<[String: ONNXRuntime]>([:])

    /// Turns ONNX Runtime's telemetry off unless `ORT_DISABLE_TELEMETRY` is set
    /// (the PyPI builds write a device id and events under ~/.cache/Microsoft and
    /// upload them). Call it while the process has one thread, after the command
    /// line has been read (`CommandLine.arguments`); loading the runtime does it too.
    public static func defaultTelemetryOff() { ledge_ort_default_telemetry_off() }

    /// The runtime for `libraryPath`, loaded on first use and cached per path.
    ///
    /// A `nil` path is found with ``RuntimeLocator`` (environment variable,
    /// set-up folder, Python site-packages). Throws
    /// ``LedgeError/runtimeUnavailable(_:)`` when the library is missing, is
    /// not ONNX Runtime, or is too old.
    public static func shared(libraryPath: String? = nil) throws -> ONNXRuntime {
        let path = try RuntimeLocator().locate(.onnxruntime, explicitPath: libraryPath)
        return try cache.withLock { cache throws(LedgeError) -> ONNXRuntime in
            if let runtime = cache[path] { return runtime }
            let runtime = try ONNXRuntime(loading: path)
            cache[path] = runtime
            return runtime
        }
    }

    private init(loading path: String) throws(LedgeError) {
        let library = UnsafeMutablePointer<ledge_ort_library>.allocate(capacity: 1)
        defer { library.deallocate() }
        var message = [CChar](repeating: 0, count: 1024)
        guard ledge_ort_load(path, library, &message, message.count) == 0 else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw LedgeError.runtimeUnavailable(
                "\(reason); install it with 'pip install \(RuntimeLibraryKind.onnxruntime.pipRequirement)'")
        }
        let api = ORTAPI(raw: library.pointee.api)
        self.api = api
        self.libraryPath = path
        self.version = library.pointee.version.map { String(cString: $0) } ?? "unknown"
        self.apiVersion = Int(library.pointee.api_version)
        self.buildInfo = library.pointee.api.get_build_info_string.flatMap { $0() }.map { String(cString: $0) }
        do throws(ORTFailure) {
            var env: OpaquePointer?
            // ORT reports every failure through a status, which Ledge turns into
            // one error line; its own logger would print the same failure again
            // (in colour) on stderr. Keep it to fatal messages.
            try api.check(api.raw.create_env(LEDGE_ORT_LOG_FATAL, "ledge", &env))
            guard let env else { throw ORTFailure(code: 1, message: "CreateEnv returned no environment") }
            self.env = ORTHandle(env) { api.raw.release_env($0) }

            var memoryInfo: OpaquePointer?
            try api.check(api.raw.create_cpu_memory_info(LEDGE_ORT_DEVICE_ALLOCATOR, LEDGE_ORT_MEM_DEFAULT, &memoryInfo))
            guard let memoryInfo else { throw ORTFailure(code: 1, message: "CreateCpuMemoryInfo returned nothing") }
            self.cpuMemoryInfo = ORTHandle(memoryInfo) { api.raw.release_memory_info($0) }

            // One CPU arena for the environment (default settings), for sessions that ask for it.
            var arenaInfo: OpaquePointer?
            try api.check(api.raw.create_cpu_memory_info(LEDGE_ORT_ARENA_ALLOCATOR, LEDGE_ORT_MEM_DEFAULT, &arenaInfo))
            if let arenaInfo {
                defer { api.raw.release_memory_info(arenaInfo) }  // the environment keeps its own copy
                self.hasSharedArena = (try? api.check(api.raw.create_and_register_allocator(env, arenaInfo, nil))) != nil
            } else {
                self.hasSharedArena = false
            }

            var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
            var count: Int32 = 0
            try api.check(api.raw.get_available_providers(&names, &count))
            var providers: [String] = []
            if let names {
                for i in 0..<Int(max(count, 0)) { if let name = names[i] { providers.append(String(cString: name)) } }
                _ = api.raw.release_available_providers(names, count).map(api.raw.release_status)
            }
            self.availableProviders = providers
        } catch {
            throw LedgeError.runtimeUnavailable("ONNX Runtime \(version) at '\(path)' failed to start: \(error.message)")
        }
    }
}
