internal import ArgumentParser
internal import LedgeServer

/// Deadlines and limits for slow or greedy clients (`ledge serve`).
struct ServerLimitOptions: ParsableArguments {
    @Option(name: .customLong("header-timeout"), help: "Seconds a client has to send a request head, from its first byte (slowloris); then 408.")
    var headerTimeout: Double = 20

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may stay idle between requests before it is closed.")
    var idleTimeout: Double = 60

    @Option(
        name: .customLong("body-timeout"),
        help: "Seconds a request body gets, plus one per --min-body-rate bytes received; also the longest pause within a body. Then 408.")
    var bodyTimeout: Double = 20

    @Option(name: .customLong("min-body-rate"), help: "The slowest acceptable request body rate, in bytes per second.")
    var minBodyRate = 16 * 1024

    @Option(name: .customLong("write-timeout"), help: "Seconds a client may leave a response unread before its connection is closed.")
    var writeTimeout: Double = 30

    @Option(
        name: .customLong("max-connections"),
        help:
            "Connections served at once, over HTTP and gRPC together; more wait in the listen backlog (default and most: the open-file limit, raised to its hard limit, less 132)."
    )
    var maxConnections: Int?

    @Option(
        name: .customLong("exit-timeout-secs"),
        help: """
            Seconds that requests, calls and streams still open at SIGTERM get to finish (Triton's --exit-timeout-secs); \
            then they are cancelled, their connections closed, and the server exits. The server reports not ready from \
            SIGTERM on.
            """)
    var exitTimeout: Double = 30

    @Option(name: .customLong("max-header-size"), help: "The largest request head in bytes (request line and header fields); larger gets 431.")
    var maxHeaderSize = 32 * 1024

    func validate() throws {
        for (name, seconds) in [
            ("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout),
            ("--body-timeout", bodyTimeout), ("--write-timeout", writeTimeout),
        ] {
            guard seconds > 0, seconds <= 86_400 else {
                throw ValidationError("\(name) must be more than 0 and at most 86400 seconds, got \(seconds)")
            }
        }
        guard exitTimeout >= 0, exitTimeout <= 86_400 else {
            throw ValidationError("--exit-timeout-secs must be between 0 and 86400 seconds, got \(exitTimeout)")
        }
        guard minBodyRate >= 1 else { throw ValidationError("--min-body-rate must be at least 1 byte/s, got \(minBodyRate)") }
        if let maxConnections, maxConnections < 1 {
            throw ValidationError("--max-connections must be at least 1, got \(maxConnections)")
        }
        guard (1024...(1 << 20)).contains(maxHeaderSize) else {
            throw ValidationError("--max-header-size must be between 1024 and 1048576 bytes, got \(maxHeaderSize)")
        }
    }

    var limits: ConnectionLimits {
        func duration(_ seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1000).rounded())) }
        var limits = ConnectionLimits()
        limits.headerTimeout = duration(headerTimeout)
        limits.idleTimeout = duration(idleTimeout)
        limits.bodyTimeout = duration(bodyTimeout)
        limits.minimumBodyRate = minBodyRate
        limits.writeTimeout = duration(writeTimeout)
        limits.maxConnections = maxConnections
        limits.maxHeaderSize = maxHeaderSize
        limits.exitTimeout = duration(exitTimeout)
        return limits
    }
}
