internal import Dispatch
internal import Logging
internal import Synchronization
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// Loading, reloading and unloading: everything here runs on ``ModelRepository/changes``.
extension ModelRepository {
    /// The model names of the source, in order.
    func sourceNames() throws -> [String] {
        switch source {
        case .files(let files): return try RepositoryLayout.entries(files: files.map { ($0.path, $0.name) }, wholeFolders: true).map(\.name)
        case .repository(let path):
            guard PathName.isDirectory(path) else { throw LedgeError.usage("model repository '\(path)' is not a directory") }
            return try RepositoryLayout.modelNames(path)
        }
    }

    /// The folder of model `name`: Triton's or the flat layout, or a model file as version 1.
    /// `fetching: false` leaves a config's `uri` unfetched (the version's path is `uri:URI`), for polls.
    func folder(_ name: String, fetching: Bool = true) throws -> RepositoryLayout.ModelFolder {
        switch source {
        case .files(let files):
            let entries = try RepositoryLayout.entries(files: files.map { ($0.path, $0.name) }, wholeFolders: true)
            guard let index = entries.firstIndex(where: { $0.name == name }) else { throw LedgeError.unknownModel(name) }
            let entry = entries[index]
            // A model folder given as a path (`-m DIR`, KServe's /mnt/models): read whole, versions and config.pbtxt too.
            if PathName.isDirectory(files[index].path) { return try RepositoryLayout.folder(at: files[index].path, name: name) }
            return RepositoryLayout.ModelFolder(
                name: name, path: PathName.deletingLastComponent(entry.model), configPath: nil,
                versions: [RepositoryLayout.ModelVersionFile(number: 1, model: entry.model)], labels: nil)
        case .repository(let path):
            if let folder = try uriFolder(repository: path, name: name, fetching: fetching) { return folder }
            return try RepositoryLayout.folder(repository: path, name: name)
        }
    }

    /// A model folder whose config.pbtxt names its model by `parameters { key: "uri" … }`: the
    /// fetched file (from the cache when it is there) is its version 1.
    private func uriFolder(repository: String, name: String, fetching: Bool) throws -> RepositoryLayout.ModelFolder? {
        let folder = repository + "/" + name
        let configPath = folder + "/config.pbtxt"
        guard RepositoryLayout.problem(name: name, what: "model folder") == nil, PathName.exists(configPath),
            let uri = try ModelConfig.parse(try Self.readConfig(configPath), file: configPath).parameters["uri"]
        else { return nil }
        guard let fetch = options.fetchURI else {
            throw LedgeError.usage("\(configPath): parameters uri '\(uri)': this server cannot fetch models")
        }
        let labels = folder + "/labels.txt"
        return RepositoryLayout.ModelFolder(
            name: name, path: folder, configPath: configPath,
            versions: [RepositoryLayout.ModelVersionFile(number: 1, model: fetching ? try fetch(uri) : "uri:" + uri)],
            labels: PathName.exists(labels) ? labels : nil)
    }

    /// Applies every model of `names`, all at once (cold start is what an orchestrator waits
    /// for): each on a thread of its own, since a load mostly waits (for its probe's child
    /// process, the file, the runtime's compile lock); a model's instances then compile in
    /// parallel on the cores.
    func applyAll(_ names: [String], log: Bool = true) {
        // A thread per model: loads run side by side and never wait for dispatch's pool (see
        // ``DedicatedThread``); a large repository loads a few at a time per core, not all at once.
        _ = DedicatedThread.runAll(names.map { name in { self.apply(name, log: log) } }, atMost: max(4, 2 * options.cores))
    }

    /// Brings model `name` in line with its folder: loads the versions its version policy
    /// selects that are new or changed, keeps unchanged ones, drops unselected ones, and
    /// swaps them in at once. A version that fails leaves what served before serving.
    /// `override`: a load request's own config (`.some(nil)`: none, back to the folder's);
    /// `nil` keeps what the last load gave.
    func apply(_ name: String, log: Bool = true, override: ConfigOverride?? = nil) {
        let previous = slots.withLock { $0[name] } ?? Slot()
        var slot = previous
        slot.unloaded = false
        if let override { slot.override = override }
        options.willLoad?(name)
        var fingerprinted = false
        do {
            var folder = try slot.override?.upload.map { try RepositoryLayout.folder(at: $0.path, name: name) } ?? folder(name)
            let configText = try slot.override.map(\.text) ?? folder.configPath.map { try Self.readConfig($0) }
            let config = try slot.override.map(\.config) ?? folder.configPath.map { try ModelConfig.parse(configText ?? "", file: $0) }
            // An output's label_filename: the class names, instead of labels.txt.
            if let labels = config?.labelFilename {
                let path = folder.path + "/" + labels
                guard PathName.exists(path), !PathName.isDirectory(path) else {
                    throw LedgeError.invalidModel(
                        "\(folder.configPath ?? ModelConfigJSON.source): label_filename '\(labels)' is not in the model's folder \(folder.path)")
                }
                folder.labels = path
            }
            let configSource = slot.override.map { _ in ModelConfigJSON.source }
            slot.fingerprint = fingerprint(folder, configText: configText)
            fingerprinted = true
            let policy = config?.versionPolicy ?? .latest(1)
            let selected = policy.select(folder.versions.map(\.number))
            guard !selected.isEmpty else {
                throw LedgeError.invalidModel(
                    "model '\(name)': no version in \(folder.path) matches its version policy (versions found: \(folder.versions.map { String($0.number) }.joined(separator: ", ")))"
                )
            }
            var versions: [Int: ServedModel] = [:]
            var failures: [Int: LedgeError] = [:]
            let loader = ModelVersionLoader(options: options, logger: logger, growth: growth)
            for file in folder.versions where selected.contains(file.number) {
                let key = ModelVersionLoader.fileKey(model: file.model, labels: folder.labels, configText: configText)
                if let current = previous.versions[file.number], current.fileKey == key {
                    versions[file.number] = current
                    continue
                }
                do {
                    versions[file.number] = try loader.load(
                        name: name, number: file.number, path: file.model, labels: folder.labels, config: config,
                        // Uploaded files' warmup/ is where config.pbtxt would be (where Triton has it).
                        configPath: folder.configPath ?? slot.override?.upload.map { $0.path + "/config.pbtxt" }, fileKey: key,
                        configSource: configSource)
                } catch {
                    var failure = Self.failure(error, naming: file.model, unlessItNames: folder.path)
                    if let upload = slot.override?.upload { failure = upload.naming(failure) }
                    if log { logger.error("model '\(name)' version \(file.number) not loaded: \(failure.message)") }
                    failures[file.number] = failure
                    // A reload that fails keeps the version it would have replaced.
                    if let current = previous.versions[file.number] { versions[file.number] = current }
                }
            }
            // When no selected version could be loaded, what served before keeps serving.
            slot.versions = versions.isEmpty ? previous.versions : versions
            slot.retired = previous.retired.union(previous.versions.keys).subtracting(slot.versions.keys)
            slot.failures = failures
            slot.failure = nil
        } catch {
            var failure = Self.failure(error, naming: nil)
            if let upload = slot.override?.upload { failure = upload.naming(failure) }
            if log { logger.error("model '\(name)' not loaded: \(failure.message)") }
            slot.failure = failure
            slot.failures = [:]  // the model's failure replaces its versions' older ones
            // A folder that could not be read (its config does not parse) is tried again when its config changes.
            if !fingerprinted { slot.fingerprint = unreadFingerprint(name) }
        }
        // A load request's config that did not load is not kept: what serves is what came before.
        if slot.failure != nil || !slot.failures.isEmpty { slot.override = previous.override }
        swap(name, to: slot, from: previous)
    }

    /// Unloads every version of `name` (they finish the requests they have).
    func unload(_ name: String) {
        let previous = slots.withLock { $0[name] } ?? Slot()
        var slot = Slot()
        slot.unloaded = true
        slot.retired = previous.retired.union(previous.versions.keys)
        swap(name, to: slot, from: previous)
        logger.info("unloaded model '\(name)'")
    }

    /// Puts `slot` in place and moves the metrics along; the upload folder of `previous` goes now
    /// when `slot` does not keep it (not whenever the last reference to it happens to go).
    private func swap(_ name: String, to slot: Slot, from previous: Slot) {
        slots.withLock { $0[name] = slot }
        if let old = previous.override?.upload, old !== slot.override?.upload { old.remove() }
        for (number, model) in slot.versions where previous.versions[number] !== model { metrics.register(model) }
        for (number, model) in previous.versions where slot.versions[number] !== model { metrics.unregister(model) }
    }

    /// What the files of `folder` are now: any change means a reload.
    /// A model fetched from a config's `uri` changes only with its config (a pinned URI's file cannot).
    func fingerprint(_ folder: RepositoryLayout.ModelFolder, configText: String?) -> String {
        folder.versions.filter { $0.model.hasPrefix(folder.path + "/") }.map {
            "\($0.number)=" + ModelVersionLoader.fileKey(model: $0.model, labels: folder.labels, configText: configText)
        }
        .joined(separator: ";") + ";" + Self.configKey(configText)
    }

    /// The part of a fingerprint that stands for a config.pbtxt's text (`nil`: none).
    private static func configKey(_ text: String?) -> String { "config=" + String((text ?? "").hashValue) }

    /// What identifies model `name`'s folder when it cannot be read: its config.pbtxt's text (the
    /// part that can stop a folder from being read; a change of it is tried again).
    func unreadFingerprint(_ name: String) -> String {
        guard case .repository(let path) = source else { return "unread" }
        return "unread;" + Self.configKey(try? Self.readConfig(path + "/" + name + "/config.pbtxt"))
    }

    /// The text of a config.pbtxt.
    static func readConfig(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgeError.invalidModel("\(path): cannot be read: expected a readable config.pbtxt")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `error` as a ``LedgeError`` whose message names `file` (when it names no file of `folder` already).
    static func failure(_ error: any Error, naming file: String?, unlessItNames folder: String? = nil) -> LedgeError {
        let failure = (error as? LedgeError) ?? LedgeError.invalidModel(String(describing: error))
        guard let file, !failure.message.contains(folder ?? file) else { return failure }
        return LedgeError(failure.code, "\(file): \(failure.message)")
    }
}
