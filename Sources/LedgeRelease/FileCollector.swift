#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// Gathers a release's entries: files from the platform's Debian tree with the
/// symlinks that lead to them, the shared-library closure by `DT_NEEDED`, and
/// the few files the packager writes itself.
struct FileCollector {
    let inputs: PlatformInputs
    private(set) var files: [String: ReleaseFile] = [:]
    private(set) var packages: [PlatformInputs.DebianPackage] = []
    private var visitedLibraries: Set<String> = []
    /// Folders on this machine searched after the Debian tree (the binary's RUNPATH).
    var hostLibraryFolders: [String] = []
    /// Libraries taken from those folders, by name.
    private(set) var hostLibraries: [String] = []

    init(inputs: PlatformInputs) { self.inputs = inputs }

    mutating func add(_ file: ReleaseFile) { files[file.path] = file }

    /// Adds `path` (relative to the Debian root) and, for a symlink, what it leads to;
    /// returns the final regular file's path.
    @discardableResult
    mutating func addFromRoot(_ path: String, layer: ReleaseFile.Layer, what: String) throws -> String {
        var current = path
        for _ in 0..<16 {
            switch LocalFiles.kind(inputs.root + "/" + current) {
            case .file(let mode):
                try own(current, what: what)
                add(ReleaseFile(path: current, content: .file(inputs.root + "/" + current), mode: mode, layer: layer))
                return current
            case .symlink(let target):
                try own(current, what: what)
                add(ReleaseFile(path: current, content: .symlink(target), mode: 0o777, layer: layer))
                guard let next = LocalFiles.resolve(target, from: current) else { break }
                current = next
            default:
                throw LedgeError.runtimeUnavailable("\(what) not found for \(inputs.platform): \(inputs.root)/\(current)")
            }
        }
        throw LedgeError.runtimeUnavailable("\(what): symlinks loop or leave \(inputs.root) at \(current)")
    }

    /// Adds the libraries `names` and everything they need, found in the Debian tree's library folders.
    mutating func addLibraries(_ names: [String]) throws {
        var queue = names
        while let name = queue.popLast() {
            guard visitedLibraries.insert(name).inserted else { continue }
            if files[ReleaseBundle.libraryDirectory + "/" + name] != nil { continue }
            let folders = ["lib/\(inputs.platform.triplet)", "usr/lib/\(inputs.platform.triplet)", "lib", "usr/lib"]
            let source: String
            if let folder = folders.first(where: { LocalFiles.kind(inputs.root + "/" + $0 + "/" + name) != .missing }) {
                source = inputs.root + "/" + (try addFromRoot(folder + "/" + name, layer: .system, what: "library \(name)"))
            } else if let folder = hostLibraryFolders.first(where: { LocalFiles.kind($0 + "/" + name) != .missing }) {
                source = folder + "/" + name
                add(ReleaseFile(path: ReleaseBundle.libraryDirectory + "/" + name, content: .file(source), mode: 0o755, layer: .application))
                hostLibraries.append(name)
            } else {
                throw LedgeError.runtimeUnavailable(
                    "library \(name) needed by the release is in none of the Debian packages set up for \(inputs.platform) (\(inputs.root))"
                        + (name.hasPrefix("libswift") || name.contains("Foundation") ? "; build ledge with --static-swift-stdlib" : ""))
            }
            let elf = try ELFFile(path: source, what: "library \(name) for \(inputs.platform)")
            guard elf.machine == inputs.platform.elfMachine else {
                throw LedgeError.invalidInput(
                    "library '\(source)' is an \(elf.machine) ELF file, expected \(inputs.platform.elfMachine) for \(inputs.platform)")
            }
            queue += elf.needed
        }
    }

    /// Users, groups, the home and scratch folders, the models folder.
    mutating func addSystemFiles() {
        let id = ReleaseBundle.userID
        let passwd = "root:x:0:0:root:/root:/sbin/nologin\nledge:x:\(id):\(id):ledge:/home/ledge:/sbin/nologin\n"
        let group = "root:x:0:\nledge:x:\(id):\n"
        add(ReleaseFile(path: "etc/passwd", content: .bytes(Array(passwd.utf8)), mode: 0o644, layer: .system))
        add(ReleaseFile(path: "etc/group", content: .bytes(Array(group.utf8)), mode: 0o644, layer: .system))
        add(ReleaseFile(path: "tmp", content: .directory, mode: 0o1777, layer: .system))
        add(ReleaseFile(path: "home/ledge", content: .directory, mode: 0o755, owner: id, layer: .system))
        add(ReleaseFile(path: "models", content: .directory, mode: 0o755, layer: .models))
    }

    /// Entries sorted by path (parents sort before their children).
    func sortedFiles() -> [ReleaseFile] {
        files.values.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    private mutating func own(_ path: String, what: String) throws {
        guard let package = inputs.package(owning: path) else {
            throw LedgeError.runtimeUnavailable("\(what): \(path) belongs to none of the Debian packages set up for \(inputs.platform)")
        }
        if !packages.contains(package) { packages.append(package) }
    }
}
