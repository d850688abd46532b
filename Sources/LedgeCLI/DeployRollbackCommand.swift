internal import ArgumentParser
internal import LedgeCore
internal import LedgeDeploy

/// `ledge deploy rollback`: the previous release serves again.
struct DeployRollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Serve the release before the current one again (or --release ID), with the same checked, gap-free switch as apply.",
        discussion: "Exit 0 when every device switched, 1 otherwise (the device keeps its current release).")

    @OptionGroup(title: "Devices") var device: DeviceOptions

    @Option(help: "The release to serve (an id from 'deploy status' or 'deploy apply'), instead of the previous one.")
    var release: String?

    @Option(help: "Where the server listens on the device: an address, or 'ssh' for the address ssh connects to.")
    var listen = "0.0.0.0"

    @Option(name: .customLong("ready-timeout"), help: "Seconds the server may take to be ready.")
    var readyTimeout = 60

    func run() async throws {
        let targets = try device.targets()
        var options = ApplyOptions(models: [], binaries: [:], platformsDirectory: "", scratchDirectory: "")
        options.root = try device.shared().root
        options.port = try device.shared().port
        options.listenHost = listen == "ssh" ? nil : listen
        options.readySeconds = readyTimeout
        // The check uses the release's own token and scheme (read on the device) and these roots.
        let access = try device.resolvedDevices().first?.access
        options.secrets = DeviceSecrets(trustRoots: access?.trustRoots, clientIdentity: access?.clientIdentity)
        let progress = DeployProgress(devices: targets.map(\.destination), quiet: false)
        let results = await Deployer.rollback(targets, release: release, options: options, progress: progress.report)
        print(
            DeployText.columns(
                ["DEVICE", "RESULT", "RELEASE", "REASON"],
                results.map {
                    [$0.device, $0.succeeded ? "rolled back" : "failed", $0.detail.isEmpty ? "-" : $0.detail, $0.reason ?? ""]
                }))
        if results.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
    }
}

/// `ledge deploy logs`: the servers' output on each device.
struct DeployLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print (or follow) the end of each device's server log, each line prefixed with its device.")

    @OptionGroup(title: "Devices") var device: DeviceOptions

    @Option(name: [.customShort("n"), .long], help: "Lines from the end of each log.")
    var lines = 50

    @Flag(name: [.customShort("f"), .long], help: "Keep printing new lines until interrupted.")
    var follow = false

    func run() async throws {
        let targets = try device.targets()
        if follow {
            await Deployer.followLogs(targets, root: try device.shared().root, lines: lines)
            return
        }
        let results = await Deployer.logs(targets, root: try device.shared().root, lines: lines)
        let width = targets.map(\.destination.count).max() ?? 0
        for result in results {
            let prefix = result.device + String(repeating: " ", count: width - result.device.count) + " | "
            guard result.succeeded else {
                StandardStreams.writeError("\(prefix)\(result.reason ?? "failed")\n")
                continue
            }
            for line in result.detail.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { print(prefix + line) }
        }
        if results.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
    }
}

/// `ledge deploy remove`: stops the servers and deletes the device folder.
struct DeployRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Stop every server ledge deploy started on the devices, remove its systemd unit and delete the device folder (--root).")

    @OptionGroup(title: "Devices") var device: DeviceOptions

    func run() async throws {
        let results = await Deployer.remove(try device.targets(), root: try device.shared().root)
        print(DeployText.columns(["DEVICE", "RESULT", "REASON"], results.map { [$0.device, $0.succeeded ? "removed" : "failed", $0.reason ?? ""] }))
        if results.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
    }
}
