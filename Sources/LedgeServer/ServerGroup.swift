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
public enum ServerGroup {
    /// With `refresh`, credentials are reloaded while the servers run (when it has any to reload).
    public static func run(
        _ app: some ApplicationProtocol, with others: [any Service], refresh: CredentialRefresh? = nil, logger: Logger
    ) async throws {
        let reloading: [any Service] = refresh.flatMap { $0.isNeeded ? [$0] : nil } ?? []
        let services = (others + reloading + [app]).map { service in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
