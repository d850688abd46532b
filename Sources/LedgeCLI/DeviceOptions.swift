internal import ArgumentParser
internal import LedgeCore
internal import LedgeDeploy

/// The devices a `deploy` subcommand works on, and where Ledge lives on them: a fleet file's
/// (all, or those `--select` picks) and one-offs from `--device`.
struct DeviceOptions: ParsableArguments {
    @Option(name: .customLong("device"), help: "An ssh destination, [USER@]HOST[:PORT] or a config alias; repeatable.")
    var devices: [String] = []

    @Option(help: "A fleet file (YAML): devices with their ssh destination, labels and settings.")
    var fleet: String?

    @Option(name: .customLong("select"), help: "Only the fleet's devices with this label, LABEL=VALUE; repeatable, all must match.")
    var selectors: [String] = []

    @Option(name: .customLong("ssh-config"), help: "An ssh config file (ssh -F).")
    var sshConfig: String?

    @Option(help: "The device folder for Ledge (relative to the login folder), where the fleet file gives none.")
    var root = ".ledge"

    @Option(help: "The server's port, where the fleet file gives none.")
    var port = 8000

    @Option(
        name: .customLong("auth-token-file"),
        help: ArgumentHelp("apply: the server requires this bearer token (a file), where the fleet file gives none.", valueName: "file"))
    var authTokenFile: String?

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp("apply: the server serves HTTPS only with this PEM certificate chain, where the fleet file gives none.", valueName: "pem"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("apply: the PEM private key of --tls-cert.", valueName: "pem"))
    var tlsKey: String?

    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp(
            "The PEM certificates the servers are verified against (default: the system's), where the fleet file gives none.", valueName: "pem"))
    var tlsCA: String?

    @Option(
        name: .customLong("tls-client-ca"),
        help: ArgumentHelp(
            "apply: mutual TLS: the server accepts only client certificates from the CAs in this PEM file, where the fleet file gives none.",
            valueName: "pem"))
    var tlsClientCA: String?

    @Option(
        name: .customLong("tls-client-cert"),
        help: ArgumentHelp("The PEM client certificate deploy's own checks present to such servers.", valueName: "pem"))
    var tlsClientCert: String?

    @Option(name: .customLong("tls-client-key"), help: ArgumentHelp("The PEM private key of --tls-client-cert.", valueName: "pem"))
    var tlsClientKey: String?

    func validate() throws {
        if devices.isEmpty && fleet == nil { throw ValidationError("give at least one --device, or --fleet FILE") }
        if !selectors.isEmpty && fleet == nil { throw ValidationError("--select needs --fleet FILE") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together: give both or neither") }
        if (tlsClientCert == nil) != (tlsClientKey == nil) {
            throw ValidationError("--tls-client-cert and --tls-client-key go together: give both or neither")
        }
    }

    /// The command line's network safety settings.
    var access: DeviceAccess {
        DeviceAccess(
            tokenFile: authTokenFile, certificate: tlsCert, key: tlsKey, trustRoots: tlsCA, clientCA: tlsClientCA, clientCertificate: tlsClientCert,
            clientKey: tlsClientKey)
    }

    /// A device with what it runs: the fleet file's settings, else the command line's.
    struct Device: Sendable {
        /// The fleet file's name for it, or the `--device` destination.
        var name: String
        var target: SSHTarget
        var labels: [String: String] = [:]
        /// The fleet file's models; `nil`: the command line's.
        var models: [FleetModel]?
        var serverPort: Int
        /// The fleet file's threads; `nil`: the server's default.
        var threads: Int?
        var root: String
        /// The fleet file's `serve_args`; `nil`: the command line's.
        var serveArguments: [String]?
        /// The fleet file's `serve_env`; `nil`: none.
        var serveEnvironment: [ServeEnvironment.Variable]?
        /// The fleet file's network safety settings over the command line's.
        var access = DeviceAccess()
    }

    /// The fleet file's devices (those every `--select` matches), then the `--device` ones.
    func resolvedDevices() throws -> [Device] {
        var resolved: [Device] = []
        if let fleet {
            let file = try FleetFile(contentsOf: fleet, sshConfig: sshConfig)
            let selected = selectors.isEmpty ? file.devices : try file.select(selectors.map(FleetSelector.init(parsing:)))
            resolved = selected.map {
                Device(
                    name: $0.name, target: $0.target, labels: $0.labels, models: $0.models, serverPort: $0.serverPort ?? port,
                    threads: $0.threads, root: $0.root ?? root, serveArguments: $0.serveArguments, serveEnvironment: $0.serveEnvironment,
                    access: $0.access.over(access))
            }
        }
        for text in devices {
            let target = try SSHTarget(parsing: text, configFile: sshConfig)
            resolved.append(Device(name: target.destination, target: target, serverPort: port, root: root, access: access))
        }
        var names = Set<String>()
        for device in resolved where !names.insert(device.name).inserted {
            throw LedgeError.usage("device '\(device.name)' is given twice: name each device once")
        }
        return resolved
    }

    /// The devices' targets, for the commands that work on one folder and port everywhere
    /// (`bench`, `rollback`, `logs`, `remove`); refuses a selection whose devices differ in them.
    func targets() throws -> [SSHTarget] {
        let all = try resolvedDevices()
        if Set(all.map(\.root)).count > 1 || Set(all.map(\.serverPort)).count > 1 {
            throw LedgeError.usage("the devices differ in root or server_port: select devices that share them (--select)")
        }
        return all.map(\.target)
    }

    /// The device folder and server port of ``targets()``.
    func shared() throws -> (root: String, port: Int) {
        let first = try resolvedDevices().first
        return (first?.root ?? root, first?.serverPort ?? port)
    }
}
