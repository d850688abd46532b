#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeFetch

/// The devices `ledge deploy` works on, from a YAML fleet file (read with libyaml):
///
/// ```yaml
/// defaults:                        # optional; every device inherits these
///   models: [models/effnet.tflite] # paths relative to this file's folder (or absolute, or ~/…)
///   server_port: 8000              # the port ledge serve listens on
///   threads: 2
///   root: .ledge                   # the device folder (relative to the login folder)
///   ssh_user: pi
/// devices:
///   kitchen-pi:                    # the device's name, in tables and status
///     ssh: 192.168.1.20            # [USER@]HOST or an ssh config alias (default: the name)
///     ssh_user: pi                 # ssh -l
///     ssh_port: 2222               # ssh -p (the server's port is server_port)
///     ssh_identity: ~/.ssh/id_ed25519   # ssh -i, with IdentitiesOnly=yes
///     labels: {site: kitchen, arch: arm64}   # for --select site=kitchen
///     models: {effnet: models/effnet.tflite} # NAME: PATH, or a list of paths; replaces the defaults'
///   shed-pi:
///     models: {effnet: "s3://models/effnet.tflite#sha256=…"}   # or https://…: fetched here, sent as files
///   lab-jetson:                    # nothing more: ssh lab-jetson, with the defaults
/// ```
///
/// Network safety, under `defaults` or per device (files on this machine, relative to the fleet
/// file's folder): `auth_token_file` (the bearer token the server requires), `tls_cert` and
/// `tls_key` (it serves HTTPS only), `tls_ca` (what the checks verify it against).
///
/// More `ledge serve` options for the device's server, under `defaults` or per device (a device's list
/// replaces the defaults'): `serve_args: [--log-format, json, --trace-config, "triton,file=trace.json"]`.
/// They go with the release (another release when they change; a rollback brings the old ones back);
/// relative paths in them are the device folder's. The options deploy sets itself are refused here
/// (``ServeArguments``); any other mistake stops the new server before the switch, with its message.
///
/// Environment variables for the device's server, under `defaults` and per device (a device's
/// replace the defaults' of the same name): `serve_env: {MALLOC_ARENA_MAX: "4",
/// OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector:4318"}` (``ServeEnvironment``).
///
/// Settings (`ssh_user`, `ssh_port`, `ssh_identity`, `models`, `server_port`, `threads`, `root`, `serve_args`,
/// `serve_env` and those four) may be given under `defaults` and per device, the device's winning; `ssh` and `labels` are per
/// device. A user in `ssh` wins over the defaults' `ssh_user`. Unknown keys, wrong types and
/// duplicate keys are refused as `FILE:LINE:COLUMN: PATH: problem`.
public struct FleetFile: Sendable {
    /// The file, as given.
    public let path: String
    /// The devices in the file's order.
    public let devices: [FleetDevice]

    static let settingKeys = [
        "ssh_user", "ssh_port", "ssh_identity", "models", "server_port", "threads", "root", "auth_token_file", "tls_cert", "tls_key", "tls_ca",
        "tls_client_ca", "tls_client_cert", "tls_client_key", "serve_args", "serve_env",
    ]
    static let deviceKeys = ["ssh"] + settingKeys + ["labels"]

    /// Reads the fleet file at `path`; `sshConfig` is every device's `ssh -F`.
    public init(contentsOf path: String, sshConfig: String? = nil) throws {
        let data = try CheckedFile.read(path, kind: "fleet", expected: "a YAML file", code: .invalidInput)
        try self.init(text: String(decoding: data, as: UTF8.self), path: path, sshConfig: sshConfig)
    }

    /// Parses `text` as the fleet file `path` (relative paths in it are relative to its folder).
    public init(text: String, path: String, sshConfig: String? = nil) throws {
        self.path = path
        let reader = FleetReader(file: path, folder: PathName.deletingLastComponent(path))
        guard let root = try YAMLDocument(text: text, file: path).root, !root.isNull else {
            throw LedgeError.invalidInput("\(path): empty; expected a mapping with 'devices'")
        }
        let top = try reader.mapping(root, at: "", keys: ["defaults", "devices"])
        var defaults = FleetReader.Settings()
        if let node = top["defaults"] { defaults = try reader.settings(reader.mapping(node, at: "defaults", keys: Self.settingKeys), at: "defaults") }
        guard let devicesNode = top["devices"] else {
            throw LedgeError.invalidInput("\(path): devices: missing; expected a mapping of device names to their settings")
        }
        let entries = try reader.entries(devicesNode, at: "devices")
        guard !entries.isEmpty else { throw reader.failure(devicesNode.mark, "devices", "expected at least one device") }
        devices = try entries.map { try reader.device($0, defaults: defaults, sshConfig: sshConfig) }
    }

    /// The devices every selector matches; none is an error naming the selectors.
    public func select(_ selectors: [FleetSelector]) throws -> [FleetDevice] {
        let selected = devices.filter { device in selectors.allSatisfy { $0.matches(device) } }
        guard selected.isEmpty else { return selected }
        let flags = selectors.map { "--select \($0)" }.joined(separator: " ")
        throw LedgeError.usage("\(flags): no device in \(path) matches")
    }
}

/// One device of a fleet file. `nil` settings are not in the file: the command line's apply.
public struct FleetDevice: Sendable, Hashable {
    /// Its key under `devices`.
    public var name: String
    public var target: SSHTarget
    public var labels: [String: String]
    /// The models to serve (paths resolved against the fleet file's folder).
    public var models: [FleetModel]?
    /// The port `ledge serve` listens on.
    public var serverPort: Int?
    public var threads: Int?
    /// The device folder for Ledge.
    public var root: String?
    /// More `ledge serve` arguments (`serve_args`; `nil`: none given).
    public var serveArguments: [String]?
    /// The server's environment variables (`serve_env`, the defaults' and the device's; `nil`: none given).
    public var serveEnvironment: [ServeEnvironment.Variable]?
    /// The server's token, certificate and key, and the checks' trust roots (files here).
    public var access = DeviceAccess()
}

/// A model of a fleet device: its file, and the name to serve it under (`nil`: the file's name).
public struct FleetModel: Sendable, Hashable {
    /// A file on this machine, or a model URI (``isURI``) that `deploy` fetches here first.
    public var path: String
    public var name: String?

    /// True when ``path`` is a URI (`https://`, `http://`, `s3://`, `file://`).
    public var isURI: Bool { Self.isURI(path) }

    /// True for `SCHEME://…` (a file name never starts so).
    static func isURI(_ text: String) -> Bool {
        guard let end = text.firstRange(of: "://")?.lowerBound, end > text.startIndex else { return false }
        return text[..<end].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) } && text.first!.isLetter
    }
}

/// `--select LABEL=VALUE`: the devices whose label has that value.
public struct FleetSelector: Sendable, Hashable, CustomStringConvertible {
    public var label: String
    public var value: String

    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
            throw LedgeError.usage("--select '\(text)': expected LABEL=VALUE, as site=kitchen")
        }
        label = String(text[..<equals])
        value = String(text[text.index(after: equals)...])
    }

    public func matches(_ device: FleetDevice) -> Bool { device.labels[label] == value }
    public var description: String { "\(label)=\(value)" }
}

/// Reads the nodes of one fleet file, each failure naming the file, the position and the key path.
private struct FleetReader {
    let file: String
    let folder: String

    struct Settings {
        var sshUser: String?
        var sshPort: Int?
        var identity: String?
        var models: [FleetModel]?
        var serverPort: Int?
        var threads: Int?
        var root: String?
        var serveArguments: [String]?
        var serveEnvironment: [ServeEnvironment.Variable]?
        var access = DeviceAccess()
    }

    func failure(_ mark: YAMLDocument.Mark, _ path: String, _ problem: String) -> LedgeError {
        LedgeError.invalidInput("\(file):\(mark): \(path.isEmpty ? "" : path + ": ")\(problem)")
    }

    func describe(_ node: YAMLDocument.Node) -> String {
        if node.isNull { return "nothing" }
        switch node {
        case .scalar(let text, _, _): return "'\(text)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The entries of a mapping (nothing for an empty value).
    func entries(_ node: YAMLDocument.Node, at path: String) throws -> [YAMLDocument.Entry] {
        if node.isNull { return [] }
        guard case .mapping(let entries, _) = node else { throw failure(node.mark, path, "expected a mapping, got \(describe(node))") }
        return entries
    }

    /// A mapping of known keys, by key.
    func mapping(_ node: YAMLDocument.Node, at path: String, keys: [String]) throws -> [String: YAMLDocument.Node] {
        var values: [String: YAMLDocument.Node] = [:]
        for entry in try entries(node, at: path) {
            let full = path.isEmpty ? entry.key : path + "." + entry.key
            guard keys.contains(entry.key) else {
                throw failure(entry.keyMark, full, "unknown key; expected one of \(keys.joined(separator: ", "))")
            }
            values[entry.key] = entry.value
        }
        return values
    }

    func string(_ node: YAMLDocument.Node, at path: String, expected: String = "a string") throws -> String {
        guard case .scalar(let text, _, _) = node, !node.isNull, !text.isEmpty else {
            throw failure(node.mark, path, "expected \(expected), got \(describe(node))")
        }
        return text
    }

    func integer(_ node: YAMLDocument.Node, at path: String, in range: ClosedRange<Int>) throws -> Int {
        let expected = "an integer \(range.lowerBound)-\(range.upperBound)"
        guard case .scalar(let text, _, _) = node, let value = Int(text), range.contains(value) else {
            throw failure(node.mark, path, "expected \(expected), got \(describe(node))")
        }
        return value
    }

    /// A word for ssh: not empty, no white space, not an option.
    func word(_ node: YAMLDocument.Node, at path: String, expected: String) throws -> String {
        let text = try string(node, at: path, expected: expected)
        guard !text.hasPrefix("-"), !text.contains(where: { $0.isWhitespace }) else {
            throw failure(node.mark, path, "expected \(expected), got \(describe(node))")
        }
        return text
    }

    /// A path of the file: relative to its folder, `~/` to the home folder.
    func resolved(_ text: String) -> String {
        if text.hasPrefix("/") { return text }
        if text.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
            return PathName.appending(String(text.dropFirst(2)), to: home)
        }
        return PathName.appending(text, to: folder)
    }

    func settings(_ values: [String: YAMLDocument.Node], at path: String, inherited: Settings = Settings()) throws -> Settings {
        var s = inherited
        for key in FleetFile.settingKeys {
            guard let node = values[key] else { continue }
            let at = path + "." + key
            switch key {
            case "ssh_user": s.sshUser = try word(node, at: at, expected: "a user name")
            case "ssh_port": s.sshPort = try integer(node, at: at, in: 1...65535)
            case "ssh_identity":
                let key = try string(node, at: at, expected: "a key file")
                s.identity = key.hasPrefix("~") ? key : resolved(key)  // ssh expands ~ and ~user in -i
            case "models": s.models = try models(node, at: at)
            case "server_port": s.serverPort = try integer(node, at: at, in: 1...65535)
            case "threads": s.threads = try integer(node, at: at, in: 1...256)
            case "root": s.root = try string(node, at: at, expected: "a folder")
            case "auth_token_file": s.access.tokenFile = resolved(try string(node, at: at, expected: "a token file"))
            case "tls_cert": s.access.certificate = resolved(try string(node, at: at, expected: "a PEM certificate file"))
            case "tls_key": s.access.key = resolved(try string(node, at: at, expected: "a PEM key file"))
            case "tls_ca": s.access.trustRoots = resolved(try string(node, at: at, expected: "a PEM certificate file"))
            case "tls_client_ca": s.access.clientCA = resolved(try string(node, at: at, expected: "a PEM certificate file"))
            case "tls_client_cert": s.access.clientCertificate = resolved(try string(node, at: at, expected: "a PEM certificate file"))
            case "tls_client_key": s.access.clientKey = resolved(try string(node, at: at, expected: "a PEM key file"))
            case "serve_args": s.serveArguments = try serveArguments(node, at: at)
            case "serve_env": s.serveEnvironment = ServeEnvironment.merged(s.serveEnvironment ?? [], try serveEnvironment(node, at: at))
            default: break
            }
        }
        return s
    }

    func models(_ node: YAMLDocument.Node, at path: String) throws -> [FleetModel] {
        let expected = "a list of model files or a mapping of names to model files"
        var models: [FleetModel] = []
        switch node {
        case .sequence(let items, _):
            for (index, item) in items.enumerated() {
                let at = "\(path)[\(index)]"
                models.append(FleetModel(path: try model(try string(item, at: at, expected: "a model file"), item, at: at), name: nil))
            }
        case .mapping(let entries, _):
            for entry in entries {
                if let problem = RepositoryLayout.problem(name: entry.key, what: "model name") {
                    throw failure(entry.keyMark, path + "." + entry.key, problem)
                }
                let at = path + "." + entry.key
                let file = try string(entry.value, at: at, expected: "a model file")
                models.append(FleetModel(path: try model(file, entry.value, at: at), name: entry.key))
            }
        default:
            throw failure(node.mark, path, "expected \(expected), got \(describe(node))")
        }
        guard !models.isEmpty else { throw failure(node.mark, path, "expected at least one model") }
        return models
    }

    /// A model URI as written (checked), else a file resolved against the fleet file's folder.
    private func model(_ text: String, _ node: YAMLDocument.Node, at path: String) throws -> String {
        guard FleetModel.isURI(text) else { return resolved(text) }
        do {
            _ = try ModelURI(parsing: text)
        } catch let error as LedgeError {
            throw failure(node.mark, path, error.message)
        }
        return text
    }

    /// A list of `ledge serve` arguments, none of them one deploy sets itself.
    func serveArguments(_ node: YAMLDocument.Node, at path: String) throws -> [String] {
        guard case .sequence(let items, _) = node else {
            throw failure(node.mark, path, "expected a list of ledge serve arguments, got \(describe(node))")
        }
        return try items.enumerated().map { index, item in
            let at = "\(path)[\(index)]"
            let text = try string(item, at: at, expected: "a ledge serve argument")
            if let problem = ServeArguments.problem(text) { throw failure(item.mark, at, problem) }
            return text
        }
    }

    /// A mapping of environment variable names to values, none of them one deploy sets itself.
    func serveEnvironment(_ node: YAMLDocument.Node, at path: String) throws -> [ServeEnvironment.Variable] {
        try entries(node, at: path).map { entry in
            let at = path + "." + entry.key
            guard case .scalar(let value, _, _) = entry.value else {
                throw failure(entry.value.mark, at, "expected a value, got \(describe(entry.value))")
            }
            let variable = ServeEnvironment.Variable(name: entry.key, value: entry.value.isNull ? "" : value)
            if let problem = ServeEnvironment.problem(variable) { throw failure(entry.keyMark, at, problem) }
            return variable
        }
    }

    func device(_ entry: YAMLDocument.Entry, defaults: Settings, sshConfig: String?) throws -> FleetDevice {
        let path = "devices." + entry.key
        guard !entry.key.isEmpty, !entry.key.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw failure(entry.keyMark, path, "a device name must not be empty or hold white space")
        }
        let values = try mapping(entry.value, at: path, keys: FleetFile.deviceKeys)
        let expected = "[USER@]HOST or an ssh config alias"
        let destination =
            try values["ssh"].map { try word($0, at: path + ".ssh", expected: expected) }
            ?? word(.scalar(entry.key, plain: false, entry.keyMark), at: path + ".ssh", expected: expected)
        var own = values
        own["ssh"] = nil
        own["labels"] = nil
        var settings = try settings(own, at: path, inherited: defaults)
        if destination.contains("@") {
            if let user = values["ssh_user"] {
                throw failure(user.mark, path + ".ssh_user", "the ssh destination '\(destination)' names a user already")
            }
            settings.sshUser = nil
        }
        var labels: [String: String] = [:]
        if let node = values["labels"] {
            for label in try entries(node, at: path + ".labels") {
                let at = path + ".labels." + label.key
                guard !label.key.isEmpty, !label.key.contains("="), !label.key.contains(where: { $0.isWhitespace }) else {
                    throw failure(label.keyMark, at, "a label must not be empty or hold '=' or white space")
                }
                labels[label.key] = try string(label.value, at: at, expected: "a label value")
            }
        }
        let target = SSHTarget(
            destination: destination, port: settings.sshPort, configFile: sshConfig, user: settings.sshUser, identity: settings.identity)
        if let problem = settings.access.pairProblem { throw failure(entry.keyMark, path, problem) }
        return FleetDevice(
            name: entry.key, target: target, labels: labels, models: settings.models, serverPort: settings.serverPort,
            threads: settings.threads, root: settings.root, serveArguments: settings.serveArguments,
            serveEnvironment: settings.serveEnvironment, access: settings.access)
    }
}
