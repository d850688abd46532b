#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// What `ledge deploy bench` runs on each device: the `ledge bench` options passed through.
public struct DeviceBenchOptions: Sendable {
    /// The device folder for Ledge (relative to the login folder, or absolute).
    public var root = ".ledge"
    /// A budget expression for the device's `ledge bench --budget` (checked here first).
    public var budget: String?
    /// Intra-op threads (`nil`: the device's default, one per core, at most 4).
    public var threads: Int?
    public var warmup: Int?
    public var runs: Int?
    /// Seconds of steady-state runs.
    public var duration: Double?
    /// Batch sizes for throughput beyond batch 1 (models with a dynamic batch dimension).
    public var batches: [Int] = []

    public init() {}

    /// The `ledge bench` arguments after `-m MODEL`; batch 1 (single stream) is always measured.
    var arguments: [String] {
        var arguments = ["--format", "json", "--batch", ([1] + batches.filter { $0 != 1 }).map(String.init).joined(separator: ",")]
        if let budget { arguments += ["--budget", budget] }
        if let threads { arguments += ["--threads", String(threads)] }
        if let warmup { arguments += ["--warmup", String(warmup)] }
        if let runs { arguments += ["--runs", String(runs)] }
        if let duration { arguments += ["--duration", String(duration)] }
        return arguments
    }

    /// How long one model's bench may take on a device: bench stops its steady state by 60 s and each
    /// batch by 30 s unless `duration` asks for more.
    var timeLimit: Duration {
        .seconds(600 + Int((duration ?? 0) * Double(batches.count + 2)))
    }
}

/// One model measured on one device.
public struct ModelBench: Sendable, Encodable {
    /// The model's name in the release (`models/NAME/`).
    public var model: String
    /// `tflite` or `onnx`.
    public var format: String?
    public var runtime: String?
    public var threads: Int?
    public var p50Milliseconds: Double?
    public var p99Milliseconds: Double?
    /// Samples per second of one stream at batch 1 (or the model's fixed batch).
    public var fps: Double?
    /// Samples per second at each batch size measured (one session).
    public var throughput: [BatchThroughput] = []
    public var peakRSSBytes: Int?
    public var sizeBytes: Int?
    /// `nil` without a budget.
    public var budgetPassed: Bool?
    /// One line per failed budget term, e.g. `size 4.7 MB is not < 1 MB`.
    public var budgetFailures: [String] = []
    /// Why the model has no numbers (the bench failed).
    public var error: String?

    /// Measured and within the budget (if any).
    public var passed: Bool { error == nil && budgetPassed != false }
}

/// Samples per second at one batch size.
public struct BatchThroughput: Sendable, Encodable, Hashable {
    public var batch: Int
    public var samplesPerSecond: Double
}

/// The models of one device's current release, measured there.
public struct DeviceBench: Sendable, Encodable {
    public var device: String
    public var arch: String?
    /// The release `current` points at.
    public var release: String?
    public var models: [ModelBench] = []
    /// Why the device has no numbers: unreachable, no release.
    public var error: String?
    /// Every model measured and within the budget.
    public var passed = false
}

/// What `ledge deploy bench --json` prints.
public struct FleetBench: Sendable, Encodable {
    /// The budget as the devices applied it (presets expanded), if any.
    public var budget: String?
    /// Every device passed.
    public var passed: Bool
    public var devices: [DeviceBench]

    public init(budget: String?, devices: [DeviceBench]) {
        self.budget = budget
        self.passed = devices.allSatisfy(\.passed)
        self.devices = devices
    }
}

extension Deployer {
    /// Runs the current release's own `ledge bench` on each of its models on each device (devices
    /// in parallel, at most `parallel` at once; one model at a time on a device).
    public static func bench(
        _ targets: [SSHTarget], options: DeviceBenchOptions, parallel: Int, progress: @escaping @Sendable (String, String) -> Void
    ) async -> [DeviceBench] {
        defer { for target in targets { target.closeConnection() } }
        return await BoundedParallel.map(count: targets.count, limit: parallel) { index in
            await bench(targets[index], options: options) { progress(targets[index].destination, $0) }
        }
    }

    static func bench(_ target: SSHTarget, options: DeviceBenchOptions, say: (String) -> Void) async -> DeviceBench {
        var result = DeviceBench(device: target.destination)
        do {
            say("listing the release")
            let facts = ReleaseFacts(try await target.check(DeviceBenchScripts.list(root: options.root), what: "list the release"))
            result.arch = facts.arch
            guard let release = facts.release else {
                throw LedgeError.notFound("no release under \(options.root) (run ledge deploy apply first)")
            }
            result.release = release.split(separator: "/").last.map(String.init)
            guard facts.launcher else {
                throw LedgeError.notFound("release \(result.release ?? release) has no ledge.sh (deploy it again with this ledge)")
            }
            guard !facts.models.isEmpty else { throw LedgeError.notFound("release \(result.release ?? release) has no models") }
            for (index, model) in facts.models.enumerated() {
                say("benchmarking \(model.name) (\(index + 1)/\(facts.models.count))")
                result.models.append(await benchModel(model, release: release, on: target, options: options))
            }
            result.passed = result.models.allSatisfy(\.passed)
            say(result.passed ? "done" : "failed")
        } catch {
            result.error = Deployer.describe(error)
            say("failed")
        }
        return result
    }

    static func benchModel(_ model: ReleaseFacts.Model, release: String, on target: SSHTarget, options: DeviceBenchOptions) async -> ModelBench {
        var bench = ModelBench(model: model.name)
        let base = options.root + "/" + release
        let argv = [base + "/ledge.sh", "bench", "-m", base + "/models/" + model.name + "/" + model.file] + options.arguments
        do {
            let run = try await target.run(argv.map(DeviceRelease.quoted).joined(separator: " "), timeLimit: options.timeLimit)
            // bench exits 1 when the budget is missed; its report is on standard output either way.
            guard run.status == 0 || run.status == 1, let report = try? JSONDecoder().decode(BenchJSON.self, from: Data(run.stdout.utf8)),
                let variant = report.variants.first
            else {
                throw LedgeError(
                    run.status == 255 ? .remoteFailure : .runtimeFailure, "ledge bench exited with \(run.status): \(run.lastError)")
            }
            bench.format = variant.format
            bench.runtime = variant.runtime + " " + variant.runtime_version
            bench.threads = variant.threads
            bench.p50Milliseconds = variant.latency_ms.p50
            bench.p99Milliseconds = variant.latency_ms.p99
            let points = variant.throughput.filter { $0.instances == 1 }.sorted { $0.batch < $1.batch }
            bench.throughput = points.compactMap { p in p.samples_per_s.map { BatchThroughput(batch: p.batch, samplesPerSecond: $0) } }
            bench.fps = bench.throughput.first?.samplesPerSecond
            bench.peakRSSBytes = variant.rss_peak_bytes > 0 ? variant.rss_peak_bytes : nil
            bench.sizeBytes = variant.size_bytes
            bench.budgetPassed = variant.budget?.passed
            bench.budgetFailures = variant.budget?.failures ?? []
        } catch {
            bench.error = Deployer.describe(error)
        }
        return bench
    }
}

/// A failure as one line: a ``LedgeError``'s message, or the error's description.

/// The subset of `ledge bench --format json` that `deploy bench` reads (the README's stable schema).
struct BenchJSON: Decodable {
    struct Variant: Decodable {
        struct Latency: Decodable {
            var p50: Double?
            var p99: Double?
        }
        struct Point: Decodable {
            var batch: Int
            var instances: Int
            var samples_per_s: Double?
        }
        struct Verdict: Decodable {
            var passed: Bool
            var failures: [String]
        }
        var format: String
        var runtime: String
        var runtime_version: String
        var threads: Int
        var size_bytes: Int
        var latency_ms: Latency
        var throughput: [Point]
        var rss_peak_bytes: Int
        var budget: Verdict?
    }
    var variants: [Variant]
}

/// What the listing script printed: `key=value` lines.
struct ReleaseFacts {
    struct Model {
        var name: String
        /// `model.tflite` or `model.onnx`.
        var file: String
    }
    var arch: String?
    /// `releases/ID`, nil when `current` points nowhere.
    var release: String?
    var launcher = false
    var models: [Model] = []

    init(_ output: String) {
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let value = String(line[line.index(after: equals)...])
            switch line[..<equals] {
            case "arch": arch = value
            case "current": release = value.isEmpty ? nil : value
            case "launcher": launcher = value == "yes"
            case "model":
                let parts = value.split(separator: "/", maxSplits: 1).map(String.init)
                if parts.count == 2 { models.append(Model(name: parts[0], file: parts[1])) }
            default: break
            }
        }
    }
}

/// The shell `deploy bench` runs on a device besides the release's `ledge.sh`.
enum DeviceBenchScripts {
    /// The architecture, the release `current` points at (resolved once, so a concurrent apply does not
    /// mix releases), whether it has `ledge.sh`, and its models as `model=NAME/model.EXT`.
    static func list(root: String) -> String {
        let r = DeviceRelease.quoted(root)
        return """
            echo "arch=$(uname -m)"
            C=$(readlink \(r)/current 2> /dev/null || true)
            echo "current=$C"
            [ -n "$C" ] || exit 0
            [ -x \(r)/"$C"/ledge.sh ] && echo launcher=yes
            for f in \(r)/"$C"/models/*/model.*; do
              [ -f "$f" ] && echo "model=$(basename "$(dirname "$f")")/$(basename "$f")"
            done
            true
            """
    }
}
