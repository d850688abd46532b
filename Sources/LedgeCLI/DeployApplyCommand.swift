internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeDeploy
internal import LedgeRelease
internal import Logging

/// `ledge deploy apply`: models to devices over SSH, checked before and after the switch.
struct DeployApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Deploy models to devices over SSH: send what they lack, check the new release, switch, roll back on failure.",
        discussion: """
            Uses your own ssh (config, agent, jump hosts, known_hosts; strict host-key checking, no passwords).
            Per device: probe it, send only the files it lacks (by sha256, checked there), assemble a release
            folder under --root, start it on --check-port and check it (ready, one inference per model), point
            'current' at it, restart the server on --port, check again, and roll back on failure. The release
            runs with its own loader and glibc. Exit 0 only when every device succeeded.
            """)

    @OptionGroup(title: "Devices") var device: DeviceOptions

    @OptionGroup(title: "Models") var models: ModelOptions

    @OptionGroup(title: "Platform inputs") var inputs: ReleaseInputOptions

    @Option(help: "Where the server listens on the device: an address, or 'ssh' for the address ssh connects to.")
    var listen = "0.0.0.0"

    @Option(name: .customLong("check-port"), help: "The spare port a new release is checked on.")
    var checkPort = 8001

    @Option(help: "Devices deployed at once.")
    var parallel = 8

    @Option(help: "Releases kept besides the current one.")
    var keep = 3

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        if device.port == checkPort { throw ValidationError("--check-port must differ from --port") }
    }

    func run() async throws {
        let logger = Logger(label: "ledge.deploy") { _ in ConsoleLogHandler(logLevel: .warning) }
        let entries = try models.entries()
        let binaries = try inputs.binaries()
        let targets = try device.targets()
        let scratch = FileManager.default.temporaryDirectory.path + "/ledge-deploy-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var options = ApplyOptions(
            models: entries, binaries: binaries, platformsDirectory: inputs.platformsDirectory(), scratchDirectory: scratch)
        options.root = device.root
        options.listenHost = listen == "ssh" ? nil : listen
        options.port = device.port
        options.checkPort = checkPort
        options.keep = keep
        let quiet = json
        let outcomes = await Deployer.apply(targets, options: options, parallel: parallel, logger: logger) { device, message in
            if !quiet { StandardStreams.writeError("\(device): \(message)\n") }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(outcomes), as: UTF8.self))
        } else {
            print(DeployText.table(outcomes))
        }
        if outcomes.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
    }
}

/// The result table of `deploy apply`.
enum DeployText {
    static func table(_ outcomes: [DeviceOutcome]) -> String {
        let header = ["DEVICE", "PLATFORM", "RELEASE", "STATE", "SENT", "TIME", "REASON"]
        let rows = outcomes.map {
            [
                $0.device, $0.platform ?? "-", $0.release ?? "-", $0.state,
                "\($0.uploadedObjects) files, \(cFormat("%.1f", Double($0.uploadedBytes) / 1e6)) MB", cFormat("%.1f s", $0.seconds),
                $0.reason ?? "",
            ]
        }
        return columns(header, rows)
    }

    /// Rows under a header, columns padded to their widest cell.
    static func columns(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
                .trimmingWhitespace()
        }.joined(separator: "\n")
    }
}
