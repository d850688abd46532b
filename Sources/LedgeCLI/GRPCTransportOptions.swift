internal import ArgumentParser
internal import LedgeGRPC

/// `ledge serve`'s gRPC transport: keep-alive pings, a connection's age and the compression of
/// infer responses, with Triton's flag names and units (milliseconds) so that a Triton command
/// line carries over.
struct GRPCTransportOptions: ParsableArguments {
    @Option(
        name: .customLong("grpc-keepalive-time"),
        help: ArgumentHelp(
            """
            Milliseconds without reading from a gRPC connection before the server pings it; at least 1000 (the HTTP/2 \
            handler closes a connection that sends over 200 control frames in 30 s, and each answer counts). \
            (default: 7200000, 2 hours)
            """,
            valueName: "ms"))
    var keepaliveTime: Int?

    @Option(
        name: .customLong("grpc-keepalive-timeout"),
        help: ArgumentHelp(
            """
            Milliseconds the client has to answer that ping (or send anything); then its connection is closed. An idle \
            grpcio or tritonclient channel reads only every 5 s. (default: 20000)
            """, valueName: "ms"))
    var keepaliveTimeout: Int?

    @Option(
        name: .customLong("grpc-keepalive-permit-without-calls"),
        help: ArgumentHelp(
            "Whether clients may send keep-alive pings on a connection with no call open (0 or 1, false or true). (default: 0)",
            valueName: "0|1"))
    var permitWithoutCalls: TritonBool?

    @Option(
        name: .customLong("grpc-http2-min-recv-ping-interval-without-data"),
        help: ArgumentHelp(
            """
            Milliseconds a client must leave between its pings; a ping sooner is a strike, and the third strike \
            closes the connection (GOAWAY ENHANCE_YOUR_CALM). (default: 300000)
            """, valueName: "ms"))
    var minReceivedPingInterval: Int?

    @Option(
        name: .customLong("grpc-max-connection-age"),
        help: ArgumentHelp(
            """
            Milliseconds a gRPC connection may live (±10 %): then it is sent GOAWAY, and closed once its calls end; \
            the client reconnects (to another replica behind a load balancer). (default: no limit)
            """, valueName: "ms"))
    var maxConnectionAge: Int?

    @Option(
        name: .customLong("grpc-infer-response-compression-level"),
        help: ArgumentHelp(
            """
            Compress ModelInfer and ModelStreamInfer responses for clients that accept it: low with gzip, med and high \
            with deflate when accepted, else with the one accepted (zlib's default level, as in Triton). (default: none)
            """, valueName: "none|low|med|high"))
    var responseCompression: GRPCResponseCompression?

    /// The longest duration taken, in milliseconds (about 24.8 days: what gRPC's C core takes).
    static let maximum = Int(Int32.max)

    /// The flags given, for the check that the gRPC server is on.
    var given: [String] {
        [
            ("--grpc-keepalive-time", keepaliveTime != nil), ("--grpc-keepalive-timeout", keepaliveTimeout != nil),
            ("--grpc-keepalive-permit-without-calls", permitWithoutCalls != nil),
            ("--grpc-http2-min-recv-ping-interval-without-data", minReceivedPingInterval != nil),
            ("--grpc-max-connection-age", maxConnectionAge != nil),
            ("--grpc-infer-response-compression-level", responseCompression != nil),
        ].filter(\.1).map(\.0)
    }

    func validate() throws {
        for (name, value, least) in [
            ("--grpc-keepalive-time", keepaliveTime, 1000), ("--grpc-keepalive-timeout", keepaliveTimeout, 1),
            ("--grpc-http2-min-recv-ping-interval-without-data", minReceivedPingInterval, 0),
            ("--grpc-max-connection-age", maxConnectionAge, 1),
        ] {
            if let value, !(least...Self.maximum).contains(value) {
                throw ValidationError("\(name) must be between \(least) and \(Self.maximum) milliseconds, got \(value)")
            }
        }
    }

    /// Sets `configuration`'s keep-alive, connection age and response compression from the flags given.
    func apply(to configuration: inout GRPCConfiguration) {
        if let keepaliveTime { configuration.keepalive.time = .milliseconds(keepaliveTime) }
        if let keepaliveTimeout { configuration.keepalive.timeout = .milliseconds(keepaliveTimeout) }
        if let permitWithoutCalls { configuration.keepalive.permitWithoutCalls = permitWithoutCalls.value }
        if let minReceivedPingInterval { configuration.keepalive.minReceivedPingInterval = .milliseconds(minReceivedPingInterval) }
        configuration.maxConnectionAge = maxConnectionAge.map { .milliseconds($0) }
        if let responseCompression { configuration.responseCompression = responseCompression }
    }
}

/// A boolean as Triton's integer flags take it: `0` or `1`, and also `false` or `true`.
struct TritonBool: ExpressibleByArgument {
    let value: Bool

    init?(argument: String) {
        switch argument.lowercased() {
        case "1", "true": value = true
        case "0", "false": value = false
        default: return nil
        }
    }
}
