internal import ArgumentParser
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeDeploy

/// `ledge deploy status`: what each device runs and how it is doing.
struct DeployStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each device's release, models (sha256), uptime, health, requests, median time and server memory.")

    @OptionGroup(title: "Devices") var device: DeviceOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let devices = try device.resolvedDevices()
        // One status call per device folder and port; each row under the device's own name.
        var found: [Int: DeviceStatus] = [:]
        let groups = Dictionary(grouping: devices.indices) {
            let access = devices[$0].access
            return
                "\(devices[$0].serverPort) \(devices[$0].root) \(access.trustRoots ?? "") \(access.clientCertificate ?? "") \(access.clientKey ?? "")"
        }
        for indices in groups.values {
            let first = devices[indices[0]]
            let group = await Deployer.status(
                indices.map { devices[$0].target }, root: first.root, port: first.serverPort, trustRoots: first.access.trustRoots,
                identity: first.access.clientIdentity)
            for (index, var status) in zip(indices, group) {
                status.device = devices[index].name
                found[index] = status
            }
        }
        let statuses = devices.indices.compactMap { found[$0] }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(statuses), as: UTF8.self))
        } else {
            let rows = statuses.map { s -> [String] in
                [
                    s.device, s.arch ?? "-", s.release ?? "-", s.running ? (s.ready ? "ready" : "not ready") : "stopped",
                    s.uptimeSeconds.map { "\($0) s" } ?? "-",
                    s.models.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.prefix(12))" }.joined(separator: ", "),
                    s.requests.map(String.init) ?? "-", s.p50Milliseconds.map { cFormat("%.1f ms", $0) } ?? "-",
                    s.residentBytes.map { cFormat("%.1f MB", Double($0) / 1e6) } ?? "-", s.error ?? "",
                ]
            }
            print(DeployText.columns(["DEVICE", "ARCH", "RELEASE", "SERVER", "UPTIME", "MODELS", "REQUESTS", "P50", "RSS", "ERROR"], rows))
        }
        if statuses.contains(where: { $0.error != nil || !$0.ready }) { throw ExitCode(1) }
    }
}
