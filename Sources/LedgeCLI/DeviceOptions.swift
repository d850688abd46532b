internal import ArgumentParser
internal import LedgeDeploy

/// The devices a `deploy` subcommand works on, and where Ledge lives on them.
struct DeviceOptions: ParsableArguments {
    @Option(name: .customLong("device"), help: "An ssh destination, [USER@]HOST[:PORT] or a config alias; repeatable.")
    var devices: [String] = []

    @Option(name: .customLong("ssh-config"), help: "An ssh config file (ssh -F).")
    var sshConfig: String?

    @Option(help: "The device folder for Ledge (relative to the login folder).")
    var root = ".ledge"

    @Option(help: "The server's port.")
    var port = 8000

    func validate() throws {
        if devices.isEmpty { throw ValidationError("give at least one --device") }
    }

    func targets() throws -> [SSHTarget] { try devices.map { try SSHTarget(parsing: $0, configFile: sshConfig) } }
}
