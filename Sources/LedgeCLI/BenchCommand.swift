internal import ArgumentParser
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
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

    @Option(
        name: .shortAndLong,
        help:
            "A model file (.tflite or .onnx), a model folder, or its URI: https://, s3://, gs://, hf:// (fetched into the model cache); repeat to compare (the first is the baseline)."
    )
    var model: [String] = []

    @Option(
        help: ArgumentHelp("Intra-op thread counts to sweep, e.g. 1,2 (default: one per core, at most 4).", valueName: "list"),
        transform: CommaSeparated.integers(in: 1...256))
    var threads: CommaSeparated<Int>?

    @Option(
        help: ArgumentHelp("Execution providers to sweep, e.g. cpu,cuda (ONNX models; TFLite models run on cpu).", valueName: "list"),
        transform: CommaSeparated.parser(expected: "comma-separated names (e.g. cpu,cuda)"))
    var provider: CommaSeparated<ProviderName>?

    @Option(
        help: ArgumentHelp("Batch sizes for throughput, for models with a dynamic batch dimension (default: 1,8,32).", valueName: "list"),
        transform: CommaSeparated.integers(in: 1...65_536))
    var batch = CommaSeparated([1, 8, 32])

    @Option(help: ArgumentHelp("Also measure N sessions running in parallel.", valueName: "n"))
    var instances = 1

    @Option(help: ArgumentHelp("Warm-up runs after the first inference.", valueName: "n"))
    var warmup = 5

    @Option(help: ArgumentHelp("Steady-state runs.", valueName: "n"))
    var runs: Int?

    @Option(help: ArgumentHelp("Seconds of steady-state runs.", valueName: "seconds"))
    var duration: Double?

    @Option(
        name: .customLong("run-delay"),
        help: ArgumentHelp(
            "Seconds to wait before each warm-up, steady-state and end-to-end run, not timed (TFLite benchmark_model's --run_delay): a camera's frame interval, or a server's gap between requests. Throughput rows run back to back.",
            valueName: "seconds"))
    var runDelay: Double = 0

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

    @Option(help: "Output format (md is markdown).")
    var format = BenchFormat.table

    @Option(help: ArgumentHelp("Also write the report to this file (atomically).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Write an SVG chart of latency and throughput to this file.", valueName: "file.svg"))
    var plot: String?

    @OptionGroup var decode: DecodeOptions

    @OptionGroup var libraries: LibraryOptions

    func validate() throws {
        if model.isEmpty { throw ValidationError("give at least one model with -m MODEL") }
        do { try benchOptions().validate() } catch let error as LedgeError { throw ValidationError(error.message) }
    }

    func run() throws {
        let logger = ConsoleLogHandler.logger(verbose: libraries.verbose)
        let parsedBudget = try budget.map { try Budget.parse($0) }
        let options = try benchOptions()
        if let output { try AtomicFile.checkDirectory(of: output, option: "--output") }
        if let plot { try AtomicFile.checkDirectory(of: plot, option: "--plot") }
        let model = try self.model.map { try ModelURIOptions.localModel($0, logger: logger) }
        for (path, option) in [(output, "--output"), (plot, "--plot")] {
            if let path { try AtomicFile.checkNotInput(path, inputs: model, option: option) }
        }
        CrashGuard.watch(model.joined(separator: ", "))

        var variants: [(model: String, threads: Int, provider: String?)] = []
        for path in model {
            let isTFLite = try ModelFile(path: path).format == .tflite
            let providers: [String?] = isTFLite ? [nil] : (provider?.values.map(\.name) ?? [nil])
            if isTFLite, let asked = provider?.values, asked.contains(where: { !$0.isCPU }) {
                logger.warning("--provider applies to ONNX models; \(path) runs on the CPU (LiteRT with XNNPACK)")
            }
            for t in threads?.values ?? [SessionOptions.defaultThreads] {
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
            warmup: warmup, runs: runs, duration: duration, batches: batch.values,
            instances: instances, seed: seed, imagesDirectory: images, endToEnd: endToEnd,
            inputSize: try inputSize.map { try ImageSize.parse(heightByWidth: $0) }, exactDecode: decode.exactDecode,
            runDelay: runDelay)
    }
}
