#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Which runtime library to find.
public enum RuntimeLibraryKind: Sendable {
    case onnxruntime
    case litert

    /// The runtime's display name.
    public var displayName: String { self == .onnxruntime ? "ONNX Runtime" : "LiteRT" }
    /// The environment variable that names the library.
    public var environmentVariable: String { self == .onnxruntime ? "LEDGE_ORT_LIBRARY" : "LEDGE_LITERT_LIBRARY" }
    /// The PyPI package that ships the library, pinned.
    public var pipRequirement: String { self == .onnxruntime ? "onnxruntime==1.31.1" : "ai-edge-litert==2.3.0" }
    /// The folder inside the set-up folder (`.ledge/runtimes/…`) and inside site-packages.
    var setupFolder: String { self == .onnxruntime ? "onnxruntime" : "litert" }
    var sitePackagesFolder: String { self == .onnxruntime ? "onnxruntime/capi" : "ai_edge_litert" }
    func matches(_ file: String) -> Bool {
        self == .onnxruntime ? file.hasPrefix("libonnxruntime.so") : file == "libLiteRt.so"
    }
}

/// Finds a runtime's shared library, in this order: an explicit path (a flag),
/// the environment variable, the project's set-up folder (`.ledge/runtimes`,
/// found from `LEDGE_HOME`, the working directory or the executable upwards),
/// then a Python site-packages that holds the runtime's wheel.
public struct RuntimeLocator: Sendable {
    public var environment: [String: String]
    public var workingDirectory: String
    public var executablePath: String

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String = CommandLine.arguments.first ?? ""
    ) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.executablePath = executablePath
    }

    /// The library's path, or a ``LedgeError/Code/runtimeUnavailable`` error that says what to install.
    public func locate(_ kind: RuntimeLibraryKind, explicitPath: String? = nil) throws -> String {
        if let explicitPath {
            return try existing(explicitPath, kind: kind, source: "the path given")
        }
        if let fromEnv = environment[kind.environmentVariable], !fromEnv.isEmpty {
            return try existing(fromEnv, kind: kind, source: kind.environmentVariable)
        }
        for root in setupFolders() {
            if let found = firstLibrary(in: root + "/runtimes/" + kind.setupFolder, kind: kind) { return found }
        }
        for site in sitePackages() {
            if let found = firstLibrary(in: site + "/" + kind.sitePackagesFolder, kind: kind) { return found }
        }
        throw LedgeError.runtimeUnavailable(
            "\(kind.displayName) library not found: set \(kind.environmentVariable) or 'pip install \(kind.pipRequirement)'")
    }

    private func existing(_ path: String, kind: RuntimeLibraryKind, source: String) throws -> String {
        guard CheckedFile.problem(at: path) == nil else {
            throw LedgeError.runtimeUnavailable(
                "\(kind.displayName) library not found at '\(path)' (from \(source)); install it with 'pip install \(kind.pipRequirement)'")
        }
        return path
    }

    private func firstLibrary(in folder: String, kind: RuntimeLibraryKind) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        return names.filter(kind.matches).sorted().last.map { folder + "/" + $0 }
    }

    /// Candidate set-up (`.ledge`) folders, most specific first: `LEDGE_HOME`, then
    /// `.ledge` in the working directory and the executable's folder and their parents.
    public func setupFolders() -> [String] {
        var roots: [String] = []
        if let home = environment["LEDGE_HOME"], !home.isEmpty { roots.append(home) }
        for start in [workingDirectory, PathName.deletingLastComponent(executablePath)] where !start.isEmpty {
            var dir = URL(fileURLWithPath: start).standardizedFileURL.path
            while true {
                roots.append(dir + "/.ledge")
                let parent = PathName.deletingLastComponent(dir)
                if parent == dir || parent.isEmpty { break }
                dir = parent
            }
        }
        return roots
    }

    /// Candidate Python site-packages folders.
    func sitePackages() -> [String] {
        var bases: [String] = []
        if let venv = environment["VIRTUAL_ENV"] { bases.append(venv + "/lib") }
        if let home = environment["HOME"] {
            bases.append(home + "/.local/lib")
            if let versions = try? FileManager.default.contentsOfDirectory(atPath: home + "/.pyenv/versions") {
                bases += versions.sorted().map { home + "/.pyenv/versions/" + $0 + "/lib" }
            }
        }
        bases += ["/usr/local/lib", "/usr/lib"]
        var sites: [String] = []
        for base in bases {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { continue }
            for name in names.sorted() where name.hasPrefix("python3") {
                sites.append(base + "/" + name + "/site-packages")
                sites.append(base + "/" + name + "/dist-packages")
            }
        }
        sites.append("/usr/lib/python3/dist-packages")
        return sites
    }
}
