internal import Dispatch
internal import Logging
internal import Synchronization
internal import LedgeCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What a transport offers of the repository: Triton's model repository
/// extension (index, load, unload) and polling.
extension ModelRepository {
    /// One entry of the repository index, as Triton's model repository extension has it.
    public struct IndexEntry: Sendable, Hashable, Encodable {
        public var name: String
        /// `nil` for a model never loaded.
        public var version: String?
        /// `READY` or `UNAVAILABLE`; `nil` for a model never loaded.
        public var state: String?
        /// Why the version is not (or no longer) what its files say: absent when all is well.
        public var reason: String?

        public init(name: String, version: String? = nil, state: String? = nil, reason: String? = nil) {
            self.name = name
            self.version = version
            self.state = state
            self.reason = reason
        }
    }

    /// Every model of the repository with each version's state, by name then version:
    /// ready versions `READY` (with the reason when a reload of it failed), versions
    /// that failed `UNAVAILABLE` with the reason, versions that served and were unloaded
    /// (superseded, removed, on request) `UNAVAILABLE` "unloaded", models never loaded by name only. `readyOnly` lists `READY` ones.
    public func index(readyOnly: Bool = false) -> [IndexEntry] {
        let snapshot = slots.withLock { $0 }
        let names = Set(snapshot.keys).union((try? sourceNames()) ?? [])
        var entries: [IndexEntry] = []
        for name in names.sorted() {
            guard let slot = snapshot[name] else {
                if !readyOnly { entries.append(IndexEntry(name: name)) }
                continue
            }
            let numbers = Set(slot.versions.keys).union(slot.failures.keys).union(slot.retired).sorted()
            for number in numbers {
                let ready = slot.versions[number] != nil
                guard ready || !readyOnly else { continue }
                entries.append(
                    IndexEntry(
                        name: name, version: String(number), state: ready ? "READY" : "UNAVAILABLE",
                        reason: (slot.failures[number] ?? (ready ? slot.failure : nil)).map {
                            ready ? "reload failed, the loaded file keeps serving: \($0.message)" : $0.message
                        } ?? (ready ? nil : "unloaded")))
            }
            // A model that failed as a whole: on the versions still serving (above), else by name.
            if !readyOnly, numbers.isEmpty || (slot.failure != nil && slot.versions.isEmpty) {
                entries.append(IndexEntry(name: name, state: "UNAVAILABLE", reason: slot.unloaded ? "unloaded" : slot.failure?.message))
            }
        }
        return entries
    }

    /// Loads (or reloads from its folder) model `name`: explicit mode only. With `config`
    /// (Triton's `config` load parameter: the model's configuration as JSON) that config is
    /// used instead of the folder's config.pbtxt, until a load without one. With `files`
    /// (Triton's `file:<path>` parameters, which need `config`) the model is loaded from them
    /// instead of its repository folder (see ``ModelUpload``), under a name the repository may
    /// not have. Throws the model's failure when it has no ready version afterwards.
    public func load(_ name: String, config: String? = nil, files: [String: Data] = [:]) async throws {
        try Self.validate(name: name)
        try requireExplicit("load")
        var override = try config.map { ConfigOverride(text: $0, config: try ModelConfigJSON.config($0)) }
        if !files.isEmpty {
            let uploads = options.uploads
            let upload = try await onChanges { try ModelUpload.write(files, model: name, hasConfig: config != nil, settings: uploads) }
            override?.upload = upload
        }
        await options.refreshSource?()
        guard try override?.upload != nil || sourceNames().contains(name) else { throw LedgeError.unknownModel(name) }
        let given = override
        // The model as this load left it, read on the change queue: an unload queued behind it
        // would otherwise make a load that succeeded look failed.
        let slot = try await onChanges { () -> Slot? in
            self.apply(name, override: .some(given))
            return self.slots.withLock { $0[name] }
        }
        // Files whose load failed go now (what serves is what came before).
        if let upload = override?.upload, upload !== slot?.override?.upload { upload.remove() }
        // A load that failed says so, also when what served before goes on serving (as Triton's).
        if let slot, slot.versions.isEmpty || slot.failure != nil || !slot.failures.isEmpty {
            throw slot.failure ?? slot.failures.sorted { $0.key > $1.key }.first?.value ?? LedgeError.invalidModel("model '\(name)' did not load")
        }
    }

    /// Loads model `name` as a load request's `parameters` say (Triton's `config` and `file:…`; any
    /// other is refused), each read by its transport: `config` the config's JSON text, `file` a
    /// file's bytes (base64 over HTTP, `bytes_param` over gRPC), each throwing its own refusal.
    public func load<Parameter>(
        _ name: String, parameters: [String: Parameter], config: (Parameter) throws -> String,
        file: (_ key: String, Parameter) throws -> Data
    ) async throws {
        try Self.refuseParameters(parameters.keys, action: "load")
        let text = try parameters["config"].map(config)
        var files: [String: Data] = [:]
        for (key, value) in parameters where ModelUpload.isFile(key) { files[key] = try file(key, value) }
        try await load(name, config: text, files: files)
    }

    /// Refuses Triton's load parameters but `config` and files (`file:…`, see ``ModelUpload``).
    /// An unload's `unload_dependents` (which Triton's clients always send) is taken: no model
    /// here has dependents (no ensembles), so either value unloads the model alone.
    public static func refuseParameters(_ keys: some Collection<String>, action: String) throws {
        let taken: (String) -> Bool = action == "load" ? { $0 == "config" || ModelUpload.isFile($0) } : { $0 == "unload_dependents" }
        guard let key = keys.filter({ !taken($0) }).sorted().first else { return }
        throw LedgeError.invalidInput(
            "\(action) parameter '\(key)' is not supported: expected \(action == "load" ? "'config' and 'file:<path>'" : "'unload_dependents'")"
        )
    }

    /// Removes the folders of the files sent with loads (the server's shutdown: they are not kept
    /// across runs; the models loaded from them serve on until the process ends).
    public func removeUploads() {
        for slot in slots.withLock({ Array($0.values) }) { slot.override?.upload?.remove() }
    }

    /// Unloads every version of model `name`: explicit mode only.
    public func unload(_ name: String) async throws {
        try Self.validate(name: name)
        try requireExplicit("unload")
        let known = slots.withLock { $0[name] } != nil
        guard try known || sourceNames().contains(name) else { throw LedgeError.unknownModel(name) }
        await onChanges { self.unload(name) }
    }

    /// One look at the repository (poll mode does it every ``RepositoryOptions/pollInterval``):
    /// new models load, changed ones reload, removed ones unload.
    public func poll() async {
        await onChanges {
            let names: [String]
            do {
                names = try self.sourceNames()
            } catch {
                self.logger.error("model repository not read: \(Self.failure(error, naming: nil).message)")
                return
            }
            let known = self.slots.withLock { $0 }
            for name in known.keys where !names.contains(name) && !(known[name]?.versions.isEmpty ?? true) { self.unload(name) }
            let changed = names.filter { name in
                guard let slot = known[name] else { return true }
                // A folder that cannot be read is tried again when it changes (to another config, or back to the one that served).
                guard let folder = try? self.folder(name, fetching: false) else { return self.unreadFingerprint(name) != slot.fingerprint }
                let text = folder.configPath.flatMap { try? Self.readConfig($0) }
                return self.fingerprint(folder, configText: text) != slot.fingerprint
            }
            self.applyAll(changed)
        }
    }

    /// Polls until the task is cancelled (poll mode; returns at once in the others).
    public func runPolling() async {
        guard options.controlMode == .poll else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: options.pollInterval) } catch { return }
            await options.refreshSource?()
            await poll()
        }
    }

    private func requireExplicit(_ action: String) throws {
        guard options.controlMode == .explicit else {
            throw LedgeError.usage(
                "cannot \(action) models: the model control mode is \(options.controlMode.rawValue): expected --model-control-mode explicit")
        }
    }

    /// Runs `body` on the change queue and waits for it without blocking a cooperative thread.
    private func onChanges<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            changes.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs `body` on the change queue and waits for it without blocking a cooperative thread.
    private func onChanges(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            changes.async {
                body()
                continuation.resume()
            }
        }
    }
}
