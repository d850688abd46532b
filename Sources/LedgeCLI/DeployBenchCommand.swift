internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeBench
internal import LedgeCore
internal import LedgeDeploy

/// `ledge deploy bench`: the deployed models measured on the devices themselves, side by side.
struct DeployBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the deployed models on the devices: p50, p99, FPS, peak RSS, size and a budget verdict per model and device.",
        discussion: """
            Runs the current release's own 'ledge bench --format json' on each of its models, on each device \
            (devices in parallel, one model at a time on a device), and prints one row per model and device.

            Exit codes: 0 every device measured every model within --budget; 1 a device missed the budget, has no \
            release, could not be reached or its bench failed; 2 usage.
            """)

    @OptionGroup(title: "Devices") var device: DeviceOptions

    @Option(help: ArgumentHelp("A budget: edge, cpu, gpu, or terms like 'p50<15ms,p99<25ms,size<5MB,rss<200MB'.", valueName: "expr"))
    var budget: String?

    @Option(help: ArgumentHelp("Intra-op threads (default: the device's cores, at most 4).", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp("Warm-up runs after the first inference (default 5).", valueName: "n"))
    var warmup: Int?

    @Option(help: ArgumentHelp("Steady-state runs (default: at least 50 and at least 5 s).", valueName: "n"))
    var runs: Int?

    @Option(help: ArgumentHelp("Seconds of steady-state runs.", valueName: "seconds"))
    var duration: Double?

    @Option(
        help: ArgumentHelp("Batch sizes for throughput besides 1, for models with a dynamic batch dimension, e.g. 8,32.", valueName: "list"),
        transform: CommaSeparated.integers(in: 1...65_536))
    var batch: CommaSeparated<Int>?

    @Option(help: "Devices benchmarked at once.")
    var parallel = 8

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256, got \(threads)") }
        if parallel < 1 { throw ValidationError("--parallel must be at least 1, got \(parallel)") }
        do {
            _ = try budget.map { try Budget.parse($0) }
            try BenchOptions(warmup: warmup ?? 5, runs: runs, duration: duration, batches: [1] + (batch?.values ?? [])).validate()
        } catch let error as LedgeError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        var options = DeviceBenchOptions()
        options.root = try device.shared().root
        options.budget = try budget.map { try Budget.parse($0).text }
        options.threads = threads
        options.warmup = warmup
        options.runs = runs
        options.duration = duration
        options.batches = batch?.values ?? []
        let quiet = json
        let devices = await Deployer.bench(try device.targets(), options: options, parallel: parallel) { device, message in
            if !quiet { StandardStreams.writeError("\(device): \(message)\n") }
        }
        let report = FleetBench(budget: options.budget, devices: devices)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(DeployBenchText.table(report))
        }
        if !report.passed { throw ExitCode(1) }
    }
}

/// The side-by-side table of `deploy bench`.
enum DeployBenchText {
    static let header = ["MODEL", "DEVICE", "P50", "P99", "FPS", "RSS", "SIZE", "BUDGET"]

    /// One row per model and device (a model's devices next to each other), then a row per device
    /// that has no numbers, then a summary line.
    static func table(_ report: FleetBench) -> String {
        var names: [String] = []
        for device in report.devices {
            for model in device.models where !names.contains(model.model) { names.append(model.model) }
        }
        var rows: [[String]] = []
        for name in names {
            for device in report.devices {
                for model in device.models where model.model == name { rows.append(row(model, device: device.device)) }
            }
        }
        for device in report.devices where device.error != nil {
            rows.append(["-", device.device, "-", "-", "-", "-", "-", "ERROR: " + oneLine(device.error ?? "")])
        }
        let passed = report.devices.filter(\.passed).count
        let summary =
            report.budget.map { "budget \($0): \(passed) of \(report.devices.count) devices pass" }
            ?? "\(passed) of \(report.devices.count) devices measured"
        return DeployText.columns(header, rows) + "\n\n" + summary
    }

    static func row(_ m: ModelBench, device: String) -> [String] {
        if let error = m.error { return [m.model, device, "-", "-", "-", "-", "-", "ERROR: " + oneLine(error)] }
        let verdict: String
        switch m.budgetPassed {
        case true?: verdict = "PASS"
        case false?: verdict = "FAIL: " + m.budgetFailures.joined(separator: "; ")
        case nil: verdict = "-"
        }
        var fps = m.fps.map(rate) ?? "-"
        if let single = m.throughput.first, let batched = m.throughput.last, batched.batch > single.batch {
            fps += ", \(rate(batched.samplesPerSecond)) @\(batched.batch)"
        }
        return [
            m.model, device, m.p50Milliseconds.map(milliseconds) ?? "-", m.p99Milliseconds.map(milliseconds) ?? "-", fps,
            m.peakRSSBytes.map(bytes) ?? "-", m.sizeBytes.map(bytes) ?? "-", verdict,
        ]
    }

    /// A reason kept on its row.
    static func oneLine(_ text: String) -> String { text.split(whereSeparator: \.isNewline).joined(separator: " ") }

    static func milliseconds(_ value: Double) -> String { cFormat("%.2f ms", value) }

    static func rate(_ value: Double) -> String { cFormat(value >= 100 ? "%.0f/s" : "%.1f/s", value) }

    /// 1000-based, like `ledge bench` and the budget's `MB`.
    static func bytes(_ value: Int) -> String {
        let v = Double(value)
        if v >= 1e9 { return cFormat("%.1f GB", v / 1e9) }
        if v >= 1e6 { return cFormat("%.1f MB", v / 1e6) }
        if v >= 1e3 { return cFormat("%.1f KB", v / 1e3) }
        return "\(value) B"
    }
}
