internal import Dispatch
internal import LedgeCore
public import Logging
internal import Synchronization

/// Triton's request tracing (the trace extension): one inference request in `trace_rate` gets a
/// ``RequestTrace``, whose timestamps (and tensors) are written as Triton's JSON trace file, which
/// its `trace_summary.py` reads. Settings are global with per-model overrides, changed while
/// serving (`/v2[/models/M]/trace/setting`, gRPC TraceSetting); the file is fixed at start.
public final class RequestTracing: Sendable {
    /// Bytes of traces held with `log_frequency` 0 before they are written anyway (to the next `FILE.N`), so memory stays bounded.
    private let heldBytesLimit: Int

    private struct State {
        /// What clearing a global setting returns to (`--trace-config`).
        let startup: TraceSettings
        var global: TraceSettings
        var overrides: [String: TraceOverride] = [:]
        /// Requests seen, per counter: "" the global one, else a model with its own settings.
        var seen: [String: Int] = [:]
        var nextID: UInt64 = 1
        /// Finished traces not written yet: JSON entries, comma-separated.
        var held: [UInt8] = []
        var heldTraces = 0
        var nextFileIndex = 0
        var warnedHeld = false
    }

    private let state: Mutex<State>
    /// Some level is set somewhere: else requests skip the lock.
    private let active: Atomic<Bool>
    private let logger: Logger
    /// Files are written here, in order, off Swift's cooperative threads (a write ends with an fsync).
    private let writer = DispatchQueue(label: "ledge.trace.writer")
    /// In OpenTelemetry mode, where finished traces go as spans (no file then).
    private let exporter: OTLPExporter?
    /// The spans' ids.
    private let ids = TraceIDs()

    /// Tracing as `settings` say (from ``TraceSettings/init(config:)``).
    public convenience init(settings: TraceSettings = TraceSettings(), logger: Logger) {
        self.init(settings: settings, logger: logger, heldBytesLimit: Self.heldBytes)
    }

    /// Bytes of traces held before they are written anyway (``init(settings:logger:)``).
    package static let heldBytes = 32 << 20

    /// In OpenTelemetry mode, the exporter counts what it delivers and drops into `counters`.
    package init(settings: TraceSettings, logger: Logger, heldBytesLimit: Int, counters: TraceExportCounters? = nil) {
        self.heldBytesLimit = heldBytesLimit
        state = Mutex(State(startup: settings, global: settings))
        active = Atomic(!settings.levels.isEmpty)
        self.logger = logger
        exporter =
            settings.mode == .opentelemetry
            ? settings.openTelemetry.endpoint.map { OTLPExporter(settings: settings.openTelemetry, endpoint: $0, logger: logger, counters: counters) }
            : nil
    }

    /// The settings `model` traces with (the global ones when `nil`), in Triton's names.
    public func settings(model: String?) -> [String: [String]] {
        state.withLock { state in
            guard let model, let override = state.overrides[model] else { return state.global.values }
            return override.applied(to: state.global).values
        }
    }

    /// Applies `changes` to the global settings (`model` `nil`) or to `model`'s, and returns the
    /// settings now. A cleared global setting returns to its start value, a model's to the global
    /// one. Every change is checked first: an error (400, INVALID_ARGUMENT) changes nothing.
    @discardableResult
    public func update(model: String?, _ changes: TraceChanges) throws -> [String: [String]] {
        try state.withLock { state in
            let change = try changes.checked(startup: state.startup)
            if let model {
                var override = state.overrides[model] ?? TraceOverride()
                if let levels = change.levels { override.levels = levels }
                if let rate = change.rate { override.rate = rate }
                if let count = change.count { override.count = count }
                if let logFrequency = change.logFrequency { override.logFrequency = logFrequency }
                state.overrides[model] = override.isEmpty ? nil : override
                state.seen[model] = nil
            } else {
                if let levels = change.levels { state.global.levels = levels ?? state.startup.levels }
                if let rate = change.rate { state.global.rate = rate ?? state.startup.rate }
                if let count = change.count { state.global.count = count ?? state.startup.count }
                if let logFrequency = change.logFrequency { state.global.logFrequency = logFrequency ?? state.startup.logFrequency }
                state.seen[""] = nil
            }
            active.store(Self.tracesAny(state), ordering: .relaxed)
            guard let model, let override = state.overrides[model] else { return state.global.values }
            return override.applied(to: state.global).values
        }
    }

    /// Some level is set, globally or for a model: a request may be traced.
    package var isActive: Bool { active.load(ordering: .relaxed) }

    /// Drops `model`'s own settings: it follows the global ones again (Triton: a model's update with no settings).
    @discardableResult
    public func clear(model: String) -> [String: [String]] {
        state.withLock { state in
            state.overrides[model] = nil
            state.seen[model] = nil
            active.store(Self.tracesAny(state), ordering: .relaxed)
            return state.global.values
        }
    }

    /// A trace for this request of `model` when it is sampled (every `trace_rate`-th request while
    /// `trace_count` lasts), else `nil`: costs one atomic load while nothing is traced. In
    /// OpenTelemetry mode a request whose `traceparent` (W3C Trace Context, read only then) is
    /// valid is traced whatever the rate and count, as Triton does, its spans in the caller's trace.
    package func start(model: String, version: String, requestID: String? = nil, traceparent: @autoclosure () -> String? = nil)
        -> RequestTrace?
    {
        guard active.load(ordering: .relaxed) else { return nil }
        let parent = exporter == nil ? nil : TraceParent(header: traceparent())
        return state.withLock { state -> RequestTrace? in
            let override = state.overrides[model]
            let settings = override?.applied(to: state.global) ?? state.global
            guard !settings.levels.isEmpty, settings.hasDestination else { return nil }
            if parent == nil {
                guard settings.count != 0 else { return nil }
                let counter = override == nil ? "" : model
                let seen = state.seen[counter, default: 0] + 1
                state.seen[counter] = seen
                guard seen % settings.rate == 0 else { return nil }
                if settings.count > 0 {
                    if override?.count != nil { state.overrides[model]?.count = settings.count - 1 } else { state.global.count -= 1 }
                }
            }
            let id = state.nextID
            state.nextID += 1
            return RequestTrace(
                id: id, model: model, version: version, requestID: requestID, levels: settings.levels,
                logFrequency: settings.logFrequency, parent: parent, tracing: self)
        }
    }

    /// In OpenTelemetry mode, queues a finished trace's spans for export and returns true; else false.
    func export(model: String, version: String, requestID: String?, stamps: [(name: StaticString, ns: UInt64)], parent: TraceParent?) -> Bool {
        guard let exporter else { return false }
        let spans = OTLPTraceSpans.spans(
            model: model, version: version, requestID: requestID, stamps: stamps, parent: parent, clockOffset: RequestTrace.unixOffset(),
            ids: ids)
        exporter.add(spans)
        return true
    }

    /// Keeps a finished trace; writes `FILE.N` when `log_frequency` traces are held (or too many bytes).
    func collect(_ entries: [UInt8], logFrequency: Int) {
        let batch = state.withLock { state -> (bytes: [UInt8], path: String, overflow: Bool)? in
            if !state.held.isEmpty { state.held.append(UInt8(ascii: ",")) }
            state.held.append(contentsOf: entries)
            state.heldTraces += 1
            let overflow = logFrequency == 0 && state.held.count >= heldBytesLimit
            guard (logFrequency > 0 && state.heldTraces >= logFrequency) || overflow else { return nil }
            defer { state.nextFileIndex += 1 }
            return (Self.take(&state), "\(state.global.file).\(state.nextFileIndex)", overflow)
        }
        guard let batch else { return }
        if batch.overflow {
            logger.warning(
                "trace: \(heldBytesLimit) bytes of traces held with log_frequency 0: written to \(batch.path) now; set log_frequency to choose how many traces each file holds"
            )
        }
        writer.async { self.write(batch.bytes, to: batch.path) }
    }

    /// Waits until every file handed to the writer is written.
    package func waitForWrites() { writer.sync {} }

    /// Writes the traces still held: to `FILE` when no `FILE.N` was written and `log_frequency` is 0
    /// (Triton's file at shutdown), else to the next `FILE.N`; returns once every file is written. The
    /// server calls it as it stops.
    public func flush() {
        if let exporter {
            exporter.shutdown()
            return
        }
        let batch = state.withLock { state -> (bytes: [UInt8], path: String)? in
            guard state.heldTraces > 0 else { return nil }
            let indexed = state.nextFileIndex > 0 || state.global.logFrequency > 0
            defer { if indexed { state.nextFileIndex += 1 } }
            return (Self.take(&state), indexed ? "\(state.global.file).\(state.nextFileIndex)" : state.global.file)
        }
        writer.sync { if let batch { self.write(batch.bytes, to: batch.path) } }  // after the files handed over before
    }

    /// Some level is set, globally or for a model.
    private static func tracesAny(_ state: State) -> Bool {
        !state.global.levels.isEmpty || state.overrides.values.contains { !($0.levels ?? []).isEmpty }
    }

    private static func take(_ state: inout State) -> [UInt8] {
        let bytes = Array("[".utf8) + state.held + Array("]\n".utf8)
        state.held = []
        state.heldTraces = 0
        return bytes
    }

    private func write(_ bytes: [UInt8], to path: String) {
        do {
            try AtomicFile.write(bytes: bytes, to: path, option: "trace file")
        } catch {
            logger.error("trace: \(error)")
        }
    }
}
