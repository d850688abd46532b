/// More `ledge serve` arguments for a device's server (a fleet file's `serve_args`, `deploy apply
/// --serve-arg`) or a pod's (`deploy k8s --serve-arg`): tracing,
/// shared memory, log format, batching, limits — whatever the server takes that deploy does not
/// set itself. They travel in the release as `serve.args`, one per line, which `run.sh` appends
/// to the server's command line.
public enum ServeArguments {
    /// The file in a release that holds them.
    static let path = "serve.args"

    /// The options deploy sets itself, with where they are set instead.
    static let managed: [(options: [String], setBy: String)] = [
        (["-m", "--model", "--name", "--model-repository", "--model-uri"], "models"),
        (["--host"], "--listen"),
        (["--port"], "server_port"),
        (["--grpc-port", "--no-grpc"], "deploy (the check takes a free gRPC port)"),
        (["--threads"], "threads"),
        (["--reuse-port", "--ready-file"], "deploy's switch"),
        (["--auth-token", "--auth-token-file"], "auth_token_file"),
        (["--tls-cert", "--tls-key", "--tls-client-ca"], "tls_cert, tls_key and tls_client_ca"),
        (["--probe-cache", "--onnx-cache", "--xnnpack-cache"], "deploy (the device folder's cache)"),
    ]

    /// Why `argument` cannot be one of them, or `nil`; `setBy` says where a managed option is set
    /// instead (default: the fleet file's key for it).
    public static func problem(_ argument: String, setBy: String? = nil) -> String? {
        if argument.contains(where: \.isNewline) { return "expected one argument on one line, got a line break" }
        let option = argument.hasPrefix("--") ? String(argument.prefix { $0 != "=" }) : argument
        for (options, key) in managed where options.contains(option) || (option.hasPrefix("-m") && options.contains("-m")) {
            return "'\(option)' is set by \(setBy ?? key); expected other ledge serve options"
        }
        return nil
    }

    /// The `serve.args` file: one argument per line.
    static func file(_ arguments: [String]) -> [UInt8] {
        Array(arguments.map { $0 + "\n" }.joined().utf8)
    }
}
