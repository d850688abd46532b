public import Hummingbird
public import Logging
public import ServiceLifecycle
internal import UnixSignals

/// Runs the HTTP application and the other servers of `ledge serve` (the gRPC one) in one
/// `ServiceGroup`: SIGTERM or SIGINT shuts every one down gracefully (each finishes what it has
/// in flight), and when one stops or fails the others are shut down gracefully too, then its
/// error is thrown.
///
/// A `ServiceGroup` shuts its services down one after another, each once the one before has
/// finished, last listed first: the HTTP server drains first (it stops listening at once, and its
/// ``ServerConfiguration/onShutdown`` can start the others' drain with it), then the others.
///
/// The drain is bounded: a second after `exitTimeout`, whatever is still open (a handler still
/// running, a gRPC peer that never acknowledges the shutdown) is cancelled and its connection
/// closed, so one client cannot hold the process up.
public enum ServerGroup {
    /// With `refresh`, credentials are reloaded while the servers run (when it has any to reload).
    public static func run(
        _ app: some ApplicationProtocol, with others: [any Service], refresh: CredentialRefresh? = nil, exitTimeout: Duration? = nil,
        logger: Logger
    ) async throws {
        let reloading: [any Service] = refresh.flatMap { $0.isNeeded ? [$0] : nil } ?? []
        let services = (others + reloading + [app]).map { service in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A second after the exit timeout: by then the HTTP guard has answered 503 and grpc-swift closed
        // the connections whose peers acknowledged its GOAWAY; this ends what neither could.
        configuration.maximumGracefulShutdownDuration = exitTimeout.map { $0 + .seconds(1) }
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }
}
