internal import ArgumentParser
internal import Foundation
internal import LedgeBench
internal import LedgeCore
internal import LedgeEngine
internal import Logging

/// `ledge bench -m MODEL [-m MODEL2 …]`: latency, throughput, memory and a budget
/// verdict per variant (model × threads × provider), baseline first.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark models side by side: latency percentiles, throughput per batch, memory, budget verdicts.",
        discussion: """
            Steady state: --runs N exactly; --duration S for S seconds; both: whichever ends first; \
            neither: at least 50 runs and at least 5 s (at most 60 s). Exit code 1 when a variant fails --budget.
            """)

    @Option(name: .shortAndLong, help: "A model file (.tflite or .onnx); repeat to compare (the first is the baseline).")
    var model: [String] = []

    @Option(help: ArgumentHelp("Intra-op thread counts to sweep, e.g. 1,2 (default: one per core, at most 4).", valueName: "list"))
    var threads: String?

    @Option(help: ArgumentHelp("Execution providers to sweep, e.g. cpu,cuda (ONNX models; TFLite models run on cpu).", valueName: "list"))
    var provider: String?

    @Option(help: ArgumentHelp("Batch sizes for throughput, for models with a dynamic batch dimension.", valueName: "list"))
    var batch = "1,8,32"

    @Option(help: ArgumentHelp("Also measure N sessions running in parallel.", valueName: "n"))
    var instances = 1

    @Option(help: ArgumentHelp("Warm-up runs after the first inference.", valueName: "n"))
    var warmup = 5

    @Option(help: ArgumentHelp("Steady-state runs.", valueName: "n"))
    var runs: Int?

    @Option(help: ArgumentHelp("Seconds of steady-state runs.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Seed of the random inputs.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Feed the photos (.jpg, .jpeg, .png) in this folder, preprocessed as classify does.", valueName: "dir"))
    var images: String?

    @Flag(name: .customLong("end-to-end"), help: "Also time decode + preprocess + invoke + top-k per photo (needs --images).")
    var endToEnd = false

    @Option(name: .customLong("input-size"), help: "Input HxW for models with dynamic height/width, e.g. 48x192.")
    var inputSize: String?

    @Option(help: ArgumentHelp("A budget: edge, cpu, gpu, or terms like 'p50<15ms,p99<25ms,size<5MB,fps@32>=1000,rss<200MB'.", valueName: "expr"))
    var budget: String?

    @Option(help: "Output format: table, json, csv or markdown.")
    var format = "table"

    @Option(help: ArgumentHelp("Also write the report to this file (atomically).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Write an SVG chart of latency and throughput to this file.", valueName: "file.svg"))
    var plot: String?

    @OptionGroup var libraries: LibraryOptions

    func validate() throws {
        if model.isEmpty { throw ValidationError("give at least one model with -m MODEL") }
        _ = try threadList()
        _ = try providerList()
        _ = try reportFormat()
        do { try benchOptions().validate() } catch let error as LedgeError { throw ValidationError(error.message) }
    }

    func run() throws {
        let logger = ConsoleLogHandler.logger(verbose: libraries.verbose)
        let parsedBudget = try budget.map { try Budget.parse($0) }
        let options = try benchOptions()
        if let inputSize { _ = try ImageSize.parse(heightByWidth: inputSize) }
        if let output { try AtomicFile.checkDirectory(of: output, option: "--output") }
        if let plot { try AtomicFile.checkDirectory(of: plot, option: "--plot") }
        let format = try reportFormat()
        CrashGuard.watch(model.joined(separator: ", "))

        var variants: [(model: String, threads: Int, provider: String?)] = []
        for path in model {
            let isTFLite = try ModelFile(path: path).format == .tflite
            let providers: [String?] = isTFLite ? [nil] : (try providerList()?.map { Optional($0) } ?? [nil])
            if isTFLite, let asked = try providerList(), asked.contains(where: { $0.lowercased() != "cpu" }) {
                logger.warning("--provider applies to ONNX models; \(path) runs on the CPU (LiteRT with XNNPACK)")
            }
            for t in try threadList() ?? [SessionOptions.defaultThreads] {
                for p in providers { variants.append((path, t, p)) }
            }
        }

        let progress: (any ProgressSink)? = TerminalProgress.isStandardErrorTerminal ? TerminalProgress() : nil
        var engine = libraries.engineOptions
        engine.session = SessionOptions()
        let runner = BenchRunner(options: options, engine: engine, logger: logger, progress: progress)
        var results: [VariantResult] = []
        for v in variants {
            var result = try runner.run(model: v.model, threads: v.threads, provider: v.provider)
            result.budget = parsedBudget?.evaluate(result)
            results.append(result)
        }
        let report = BenchReport(ledgeVersion: LedgeVersion.current, budget: parsedBudget?.text, variants: results)
        let text = try render(report, format: format, color: format == .table && isatty(1) == 1)
        print(text)
        if let output {
            let plain = format == .table ? try render(report, format: format, color: false) : text
            try AtomicFile.write(plain + "\n", to: output, option: "--output")
        }
        if let plot { try AtomicFile.write(SVGPlot.render(report), to: plot, option: "--plot") }
        if !report.passed { throw ExitCode(1) }
    }

    func benchOptions() throws -> BenchOptions {
        BenchOptions(
            warmup: warmup, runs: runs, duration: duration, batches: try Self.integers(batch, option: "--batch", range: 1...65_536),
            instances: instances, seed: seed, imagesDirectory: images, endToEnd: endToEnd,
            inputSize: try inputSize.map { try ImageSize.parse(heightByWidth: $0) })
    }

    func threadList() throws -> [Int]? {
        try threads.map { try Self.integers($0, option: "--threads", range: 1...256) }
    }

    func providerList() throws -> [String]? {
        guard let provider else { return nil }
        let names = provider.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.contains(where: \.isEmpty) else {
            throw ValidationError("--provider expects comma-separated names (e.g. cpu,cuda), got '\(provider)'")
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0.lowercased()).inserted }
    }

    func reportFormat() throws -> BenchFormat {
        let name = format.lowercased() == "md" ? "markdown" : format.lowercased()
        guard let parsed = BenchFormat(rawValue: name) else {
            throw ValidationError("--format must be one of table, json, csv, markdown; got '\(format)'")
        }
        return parsed
    }

    /// Parses `1,8,32`: distinct integers in `range`, in the order given.
    static func integers(_ text: String, option: String, range: ClosedRange<Int>) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        let values = parts.compactMap { $0 }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy(range.contains) else {
            throw ValidationError(
                "\(option) expects comma-separated integers from \(range.lowerBound) to \(range.upperBound) (e.g. 1,2), got '\(text)'")
        }
        var seen = Set<Int>()
        return values.filter { seen.insert($0).inserted }
    }
}
