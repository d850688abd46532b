public import LedgeCore

/// Environment variables for a device's server (a fleet file's `serve_env`, `deploy apply
/// --serve-env`) or a pod's (`deploy k8s --serve-env`): an OpenTelemetry collector's address, CA
/// and API key (`OTEL_EXPORTER_OTLP_*`), `MALLOC_ARENA_MAX` — whatever the server reads from its
/// environment that deploy does not set itself. On a device they travel in the release as
/// `secrets/serve.env` (mode 0600: a value may be an API key), one `NAME=VALUE` per line, which
/// `run.sh` exports before it starts the server.
public enum ServeEnvironment {
    /// One variable.
    public struct Variable: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// `NAME=VALUE` (the value may be empty or hold `=`), checked by ``problem(_:)``.
        public init(parsing text: String) throws(LedgeError) {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw LedgeError.usage("--serve-env: expected NAME=VALUE, as MALLOC_ARENA_MAX=4")
            }
            self.init(name: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
            if let problem = ServeEnvironment.problem(self) { throw LedgeError.usage("--serve-env \(name): \(problem)") }
        }
    }

    /// The file in a release that holds them.
    static let path = "secrets/serve.env"

    /// The variables deploy sets itself, with where they are set instead.
    static let managed: [(names: [String], setBy: String)] = [
        (["LEDGE_HOST", "LEDGE_PORT", "LEDGE_GRPC_PORT", "LEDGE_THREADS"], "deploy (--listen, server_port, threads)"),
        (["LEDGE_AUTH_TOKEN"], "auth_token_file"),
        (["LD_LIBRARY_PATH", "LEDGE_ORT_LIBRARY", "LEDGE_LITERT_LIBRARY"], "the release (its own libraries and runtimes)"),
        (["NOTIFY_SOCKET"], "systemd"),
    ]

    /// Why `variable` cannot be set, or `nil`. Messages never show the value.
    public static func problem(_ variable: Variable) -> String? {
        let name = variable.name.utf8
        guard let first = name.first, first == UInt8(ascii: "_") || isLetter(first),
            name.allSatisfy({ $0 == UInt8(ascii: "_") || isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            return "expected a name of letters, digits and '_' that does not start with a digit"
        }
        if variable.value.contains(where: \.isNewline) || variable.value.utf8.contains(0) {
            return "the value holds a line break or NUL: expected one line"
        }
        for (names, setBy) in managed where names.contains(variable.name) { return "set by \(setBy); expected another variable" }
        return nil
    }

    /// `base` with each of `over` set, replacing a variable of the same name.
    public static func merged(_ base: [Variable], _ over: [Variable]) -> [Variable] {
        base.filter { variable in !over.contains { $0.name == variable.name } } + over
    }

    /// The `serve.env` file: one `NAME=VALUE` per line.
    static func file(_ variables: [Variable]) -> [UInt8] {
        Array(variables.map { "\($0.name)=\($0.value)\n" }.joined().utf8)
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
