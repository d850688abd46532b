internal import LedgeCore

/// Triton's trace settings (its trace extension, `--trace-config`): which inference requests are
/// traced, what a trace keeps and where traces are written.
public struct TraceSettings: Sendable, Equatable {
    /// What a trace keeps.
    public enum Level: String, Sendable, CaseIterable {
        /// When the request was received, queued, computed and answered (Triton's timestamps).
        case timestamps = "TIMESTAMPS"
        /// The request's input and output tensors, as text.
        case tensors = "TENSORS"
    }

    /// The trace file (with ``logFrequency``, the prefix of `FILE.0`, `FILE.1`, …); empty: none,
    /// and no level may be set. Fixed at start: a client that could move it could write any file.
    public var file = ""
    /// Empty: OFF.
    public var levels: [Level] = []
    /// One request in `rate` is traced.
    public var rate = 1000
    /// Traces still to collect; -1: no limit.
    public var count = -1
    /// Traces per file (`FILE.0`, `FILE.1`, …); 0: every trace in `FILE` at shutdown.
    public var logFrequency = 0
    /// Where traces go: Triton's JSON trace file, or spans to an OpenTelemetry collector. Fixed at start.
    public var mode = Mode.triton
    /// The exporter's settings in ``Mode/opentelemetry``.
    public var openTelemetry = OpenTelemetrySettings()

    /// Where traces go (Triton's `mode`).
    public enum Mode: String, Sendable {
        /// Triton's JSON trace file (``file``).
        case triton
        /// Three spans per request (the request, the model, its compute) to an OTLP/HTTP collector.
        case opentelemetry
    }

    /// Triton's defaults: OFF, one request in 1000, no limit, written at shutdown.
    public init() {}

    /// The settings' names, in the order they are answered.
    public static let names = ["trace_file", "trace_level", "trace_rate", "trace_count", "log_frequency", "trace_mode"]

    /// The settings as the protocol answers them: `trace_level` a list, every other one a single value.
    public var values: [String: [String]] {
        [
            "trace_file": [file], "trace_level": levels.isEmpty ? ["OFF"] : levels.map(\.rawValue),
            "trace_rate": [String(rate)], "trace_count": [String(count)], "log_frequency": [String(logFrequency)],
            "trace_mode": [mode.rawValue],
        ]
    }

    /// Triton's `--trace-config` entries: `[triton,]file=PATH`, `[triton,]log-frequency=N`,
    /// `rate=N`, `level=OFF|TIMESTAMPS|TENSORS` (repeatable), `count=N`, `mode=triton|opentelemetry`,
    /// and `opentelemetry,SETTING=VALUE` (``OpenTelemetrySettings``); in OpenTelemetry mode, the
    /// SDK's `OTEL_EXPORTER_OTLP_*` variables from `environment` too.
    public init(config entries: [String], environment: [String: String] = [:]) throws {
        var levels: [Level]?
        var openTelemetryEntry: String?
        for entry in entries {
            var text = Substring(entry)
            if text.hasPrefix("opentelemetry,"), let equals = text.firstIndex(of: "=") {
                let setting = text.dropFirst("opentelemetry,".count).prefix { $0 != "=" }
                try openTelemetry.read(setting, String(text[text.index(after: equals)...]), entry: entry)
                openTelemetryEntry = openTelemetryEntry ?? entry
                continue
            }
            if text.hasPrefix("triton,") { text = text.dropFirst("triton,".count) }
            guard let equals = text.firstIndex(of: "="), !text[..<equals].contains(",") else {
                throw LedgeError.usage(
                    "--trace-config '\(entry)': expected SETTING=VALUE (rate, level, count, mode), triton,SETTING=VALUE (file, log-frequency) or opentelemetry,SETTING=VALUE"
                )
            }
            let value = String(text[text.index(after: equals)...])
            switch text[..<equals] {
            case "file":
                guard !value.isEmpty else { throw LedgeError.usage("--trace-config file= names no file") }
                file = value
            case "log-frequency", "log_frequency": logFrequency = try Self.integer(value, "--trace-config log-frequency", atLeast: 0)
            case "rate": rate = try Self.integer(value, "--trace-config rate", atLeast: 1)
            case "count": count = try Self.integer(value, "--trace-config count", atLeast: -1)
            case "level":
                let level = try Self.levels([value], "--trace-config level")
                levels = level.isEmpty ? [] : (levels ?? []) + level.filter { !(levels ?? []).contains($0) }
            case "mode":
                guard let mode = Mode(rawValue: value) else {
                    throw LedgeError.usage("--trace-config mode=\(value): expected mode=triton or mode=opentelemetry")
                }
                self.mode = mode
            default:
                throw LedgeError.usage(
                    "--trace-config '\(entry)': unknown setting '\(text[..<equals])': expected file, log-frequency, rate, level, count or mode")
            }
        }
        self.levels = levels ?? []
        switch mode {
        case .triton:
            if let openTelemetryEntry {
                throw LedgeError.usage("--trace-config \(openTelemetryEntry) needs --trace-config mode=opentelemetry")
            }
            if !self.levels.isEmpty && file.isEmpty {
                throw LedgeError.usage(
                    "--trace-config level=\(self.levels[0].rawValue) needs a trace file: add --trace-config triton,file=PATH (or mode=opentelemetry)")
            }
        case .opentelemetry:
            if !file.isEmpty {
                throw LedgeError.usage("--trace-config triton,file=\(file) is Triton's trace file: it does not go with mode=opentelemetry")
            }
            if self.levels.contains(.tensors) { throw LedgeError.usage(Self.tensorsInOpenTelemetry("--trace-config level=TENSORS")) }
            try openTelemetry.read(environment: environment)
            try openTelemetry.check()
        }
    }

    /// Triton's OpenTelemetry mode records timestamps only.
    static func tensorsInOpenTelemetry(_ name: String) -> String {
        "\(name): OpenTelemetry mode exports timestamps only, as Triton's: expected TIMESTAMPS"
    }

    /// Whether traces have somewhere to go: a trace file, or a collector.
    var hasDestination: Bool { mode == .opentelemetry || !file.isEmpty }

    /// An integer setting of at least `minimum`, else an error naming `name`.
    static func integer(_ text: String, _ name: String, atLeast minimum: Int) throws -> Int {
        guard let value = Int(text), value >= minimum else {
            throw LedgeError.invalidInput("\(name) is '\(text)': expected an integer of at least \(minimum)")
        }
        return value
    }

    /// Levels named by `values` (`OFF` alone: none), else an error naming `name`.
    static func levels(_ values: [String], _ name: String) throws -> [Level] {
        if values == ["OFF"] { return [] }
        var levels: [Level] = []
        for value in values {
            guard let level = Level(rawValue: value) else {
                throw LedgeError.invalidInput(
                    value == "OFF"
                        ? "\(name): OFF turns tracing off and goes alone, got \(values)"
                        : "\(name) '\(value)': expected OFF, TIMESTAMPS or TENSORS")
            }
            if !levels.contains(level) { levels.append(level) }
        }
        guard !levels.isEmpty else { throw LedgeError.invalidInput("\(name) is an empty list: expected OFF, TIMESTAMPS or TENSORS") }
        return levels
    }
}

/// A model's own trace settings: each one set overrides the global one, the others follow it.
struct TraceOverride: Sendable, Equatable {
    var levels: [TraceSettings.Level]?
    var rate: Int?
    var count: Int?
    var logFrequency: Int?

    var isEmpty: Bool { self == TraceOverride() }

    /// `global` with this model's settings over it.
    func applied(to global: TraceSettings) -> TraceSettings {
        var settings = global
        if let levels { settings.levels = levels }
        if let rate { settings.rate = rate }
        if let count { settings.count = count }
        if let logFrequency { settings.logFrequency = logFrequency }
        return settings
    }
}

/// One request's changes to the trace settings: a value, or `nil` to clear the setting.
public typealias TraceChanges = [String: [String]?]

extension TraceChanges {
    /// Checks every change before any applies: unknown names, the file, bad values; one line naming the setting.
    func checked(startup settings: TraceSettings) throws -> TraceOverrideChange {
        var change = TraceOverrideChange()
        for key in keys.sorted() {
            let values = self[key] ?? nil
            func single() throws -> String? {
                guard let values else { return nil }
                guard values.count == 1 else { throw LedgeError.invalidInput("trace setting '\(key)' takes one value, got \(values.count)") }
                return values[0]
            }
            switch key {
            case "trace_file": throw LedgeError.invalidInput("trace file location can not be updated through network protocol")
            case "trace_mode":
                if let mode = try single(), mode != settings.mode.rawValue {
                    throw LedgeError.invalidInput("trace_mode '\(mode)': the mode is set at start: expected \(settings.mode.rawValue)")
                }
            case "trace_level":
                let levels = try values.map { try TraceSettings.levels($0, "trace_level") }
                if let levels, !levels.isEmpty, !settings.hasDestination {
                    throw LedgeError.invalidInput(
                        "trace_level \(levels[0].rawValue) needs a trace file, set at start: ledge serve --trace-config triton,file=PATH")
                }
                if let levels, levels.contains(.tensors), settings.mode == .opentelemetry {
                    throw LedgeError.invalidInput(TraceSettings.tensorsInOpenTelemetry("trace_level TENSORS"))
                }
                change.levels = .some(levels)
            case "trace_rate": change.rate = .some(try single().map { try TraceSettings.integer($0, "trace_rate", atLeast: 1) })
            case "trace_count": change.count = .some(try single().map { try TraceSettings.integer($0, "trace_count", atLeast: -1) })
            case "log_frequency":
                change.logFrequency = .some(try single().map { try TraceSettings.integer($0, "log_frequency", atLeast: 0) })
            default:
                throw LedgeError.invalidInput(
                    "unknown trace setting '\(key)': expected trace_file, trace_level, trace_rate, trace_count, log_frequency or trace_mode")
            }
        }
        return change
    }
}

/// Checked changes: outer `nil` untouched, `.some(nil)` cleared, `.some(value)` set.
struct TraceOverrideChange {
    var levels: [TraceSettings.Level]??
    var rate: Int??
    var count: Int??
    var logFrequency: Int??
}
