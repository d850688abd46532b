internal import Dispatch
internal import LedgeCore

/// A device reached with the user's own OpenSSH client: `~/.ssh/config` (or `-F FILE`),
/// agents, jump hosts and `known_hosts` work as they do for `ssh`; host keys are checked
/// strictly and nothing asks for a password (`BatchMode`). Connections are multiplexed.
public struct SSHTarget: Sendable, Hashable {
    /// What `ssh` is given: an alias of the config, or `user@host`.
    public var destination: String
    public var port: Int?
    /// `-F FILE`.
    public var configFile: String?
    /// The login user, `-l USER` (else the destination's or the config's).
    public var user: String?
    /// The only key to offer, `-i FILE` with `IdentitiesOnly=yes` (else the agent's and the config's).
    public var identity: String?

    public init(destination: String, port: Int? = nil, configFile: String? = nil, user: String? = nil, identity: String? = nil) {
        self.destination = destination
        self.port = port
        self.configFile = configFile
        self.user = user
        self.identity = identity
    }

    /// Parses `[user@]host[:port]` (an alias has no port).
    public init(parsing text: String, configFile: String?) throws {
        var destination = text
        var port: Int?
        if let colon = text.lastIndex(of: ":") {
            guard let value = Int(text[text.index(after: colon)...]), (1...65535).contains(value) else {
                throw LedgeError.usage("device '\(text)': expected [USER@]HOST[:PORT] or an ssh config alias")
            }
            port = value
            destination = String(text[..<colon])
        }
        guard !destination.isEmpty, !destination.hasPrefix("-"), !destination.contains(where: \.isWhitespace) else {
            throw LedgeError.usage("device '\(text)': expected [USER@]HOST[:PORT] or an ssh config alias")
        }
        self.init(destination: destination, port: port, configFile: configFile)
    }

    var options: [String] {
        var options: [String] = []
        if let configFile { options += ["-F", configFile] }
        if let port { options += ["-p", String(port)] }
        if let user { options += ["-l", user] }
        if let identity { options += ["-i", identity, "-o", "IdentitiesOnly=yes"] }
        options += [
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10",
            // A link that dies mid-transfer ends the command within ~15 s instead of hanging.
            "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
            "-o", "ControlMaster=auto", "-o", "ControlPath=/tmp/ledge-ctl-%C", "-o", "ControlPersist=60",
        ]
        return options
    }

    /// Runs `script` with `sh -c` on the device; standard input from `input` or the file `inputFile`.
    func run(_ script: String, input: [UInt8]? = nil, inputFile: String? = nil, timeLimit: Duration = .seconds(600)) throws
        -> LocalCommand.Result
    {
        try LocalCommand.run(
            ["ssh"] + options + [destination, "sh -c " + DeviceRelease.quoted(script)], input: input, inputFile: inputFile,
            timeLimit: timeLimit)
    }

    /// Runs `script` with standard input fed from `input` at most `bytesPerSecond`.
    func run(_ script: String, input: LocalCommand.Input, bytesPerSecond: Int?, timeLimit: Duration = .seconds(3600)) throws
        -> LocalCommand.Result
    {
        try LocalCommand.run(
            ["ssh"] + options + [destination, "sh -c " + DeviceRelease.quoted(script)], input: input, bytesPerSecond: bytesPerSecond,
            timeLimit: timeLimit)
    }

    /// Runs `script` and fails with the device's last error line when it exits non-zero.
    func check(_ script: String, what: String, input: [UInt8]? = nil, inputFile: String? = nil) throws -> String {
        let result = try run(script, input: input, inputFile: inputFile)
        guard result.status == 0 else {
            throw LedgeError(result.status == 255 ? .remoteFailure : .runtimeFailure, "\(destination): \(what): \(result.lastError)")
        }
        return result.stdout
    }

    /// Ends the multiplexed connection this run opened (nothing stays behind after `ledge`).
    func closeConnection() {
        _ = try? LocalCommand.run(["ssh"] + options + ["-O", "exit", destination], timeLimit: .seconds(10))
    }

    /// The host name ssh connects to (`ssh -G`), for HTTP checks.
    func resolvedHost() throws -> String {
        let result = try LocalCommand.run(["ssh", "-G"] + options + [destination], timeLimit: .seconds(20))
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("hostname ") {
            return String(line.dropFirst("hostname ".count))
        }
        throw LedgeError(.remoteFailure, "\(destination): ssh -G names no host name")
    }

    // MARK: from async code

    // ssh blocks the calling thread while it waits; these run it on a Dispatch thread, so that
    // devices deployed at once proceed at once instead of taking turns on the few threads of
    // Swift's cooperative pool.

    /// ``run(_:input:inputFile:timeLimit:)`` off the cooperative thread pool.
    func run(_ script: String, input: [UInt8]? = nil, inputFile: String? = nil, timeLimit: Duration = .seconds(600)) async throws
        -> LocalCommand.Result
    {
        try await Self.offPool { try run(script, input: input, inputFile: inputFile, timeLimit: timeLimit) }
    }

    /// ``run(_:input:bytesPerSecond:timeLimit:)`` off the cooperative thread pool.
    func run(_ script: String, input: LocalCommand.Input, bytesPerSecond: Int?, timeLimit: Duration = .seconds(3600)) async throws
        -> LocalCommand.Result
    {
        try await Self.offPool { try run(script, input: input, bytesPerSecond: bytesPerSecond, timeLimit: timeLimit) }
    }

    /// ``check(_:what:input:inputFile:)`` off the cooperative thread pool.
    func check(_ script: String, what: String, input: [UInt8]? = nil, inputFile: String? = nil) async throws -> String {
        try await Self.offPool { try check(script, what: what, input: input, inputFile: inputFile) }
    }

    /// ``resolvedHost()`` off the cooperative thread pool.
    func resolvedHost() async throws -> String {
        try await Self.offPool { try resolvedHost() }
    }

    /// Runs `script` with its output shared with ours (a stream such as `tail -F`) until it
    /// ends; returns ssh's exit status (255 when it could not run).
    func stream(_ script: String) async -> Int32 {
        let argv = ["ssh"] + options + [destination, "sh -c " + DeviceRelease.quoted(script)]
        return (try? await Self.offPool { try LocalCommand.runAttached(argv) }) ?? 255
    }

    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
