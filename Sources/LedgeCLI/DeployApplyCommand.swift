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
        if device.fleet == nil { try models.requireModels() }
        if device.port == checkPort { throw ValidationError("--check-port must differ from --port") }
    }

    func run() async throws {
        let logger = Logger(label: "ledge.deploy") { _ in ConsoleLogHandler(logLevel: .warning) }
        let binaries = try inputs.binaries()
        let groups = try deviceGroups()
        let scratch = FileManager.default.temporaryDirectory.path + "/ledge-deploy-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let quiet = json
        var outcomes: [(Int, DeviceOutcome)] = []
        for group in groups {
            var options = ApplyOptions(
                models: group.models, binaries: binaries, platformsDirectory: inputs.platformsDirectory(), scratchDirectory: scratch)
            options.root = group.root
            options.listenHost = listen == "ssh" ? nil : listen
            options.port = group.port
            options.checkPort = checkPort
            options.keep = keep
            let names = Dictionary(group.devices.map { ($0.device.target.destination, $0.device.name) }) { first, _ in first }
            let results = await Deployer.apply(group.devices.map(\.device.target), options: options, parallel: parallel, logger: logger) {
                device, message in
                if !quiet { StandardStreams.writeError("\(names[device] ?? device): \(message)\n") }
            }
            for ((position, device), var outcome) in zip(group.devices, results) {
                outcome.device = device.name
                outcomes.append((position, outcome))
            }
        }
        outcomes.sort { $0.0 < $1.0 }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(outcomes.map(\.1)), as: UTF8.self))
        } else {
            print(DeployText.table(outcomes.map(\.1)))
        }
        if outcomes.contains(where: { !$0.1.succeeded }) { throw ExitCode(1) }
    }
}

extension DeployApplyCommand {
    /// Devices that get the same models, port and folder, deployed together.
    struct DeviceGroup {
        var models: [RepositoryLayout.Entry]
        var port: Int
        var root: String
        /// Each with its position on the command line.
        var devices: [(position: Int, device: DeviceOptions.Device)]
    }

    /// The devices grouped by their models (the fleet file's, else `-m`), server port and folder, in
    /// the order their first device is given.
    func deviceGroups() throws -> [DeviceGroup] {
        let common = models.isEmpty ? nil : try models.entries()
        var groups: [DeviceGroup] = []
        for (position, device) in try device.resolvedDevices().enumerated() {
            guard let entries = try device.models.map({ try RepositoryLayout.entries(files: $0.map { ($0.path, $0.name) }) }) ?? common
            else {
                throw LedgeError.usage("device '\(device.name)' has no models: give -m or --model-repository, or models in the fleet file")
            }
            if device.serverPort == checkPort {
                throw LedgeError.usage("device '\(device.name)': server port \(checkPort) is the --check-port; give another --check-port")
            }
            if device.threads != nil {
                StandardStreams.writeError("warning: \(device.name): threads from the fleet file are not applied yet\n")
            }
            if let index = groups.firstIndex(where: { $0.models == entries && $0.port == device.serverPort && $0.root == device.root }) {
                groups[index].devices.append((position, device))
            } else {
                groups.append(DeviceGroup(models: entries, port: device.serverPort, root: device.root, devices: [(position, device)]))
            }
        }
        return groups
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
