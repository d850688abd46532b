#if canImport(Glibc)
internal import Glibc
#endif
internal import Hummingbird
internal import HummingbirdCore
internal import LedgeServing
internal import Logging
internal import NIOCore
internal import NIOHTTP1
internal import Synchronization

/// The `ledge serve` application: Hummingbird's `Application`, with a `run()` that listens through
/// ``HTTPListener`` instead of Hummingbird's `Server` (so `--reuse-port` can set its socket option
/// before bind). Each request takes the path of Hummingbird's `ApplicationProtocol.run()` (2.28.1):
/// the responder with a request-id logger, 500 for an unknown error, the `Date` and `Server` fields.
/// HummingbirdTesting's `.router` and `.live` set-ups use the protocol's parts (responder, server,
/// configuration): the same routes, and `.live` over Hummingbird's own listener.
struct LedgeApplication<Responder: HTTPResponder>: ApplicationProtocol
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let responder: Responder
    let http1: HTTP1Channel.Configuration
    let guardConfiguration: HTTPGuardConfiguration
    let settings: ServerConfiguration
    let budget: ConnectionBudget
    let logger: Logger
    let running: @Sendable (any Channel) async -> Void

    var server: HTTPServerBuilder { .guardedHTTP1(configuration: http1, guard: guardConfiguration) }

    var configuration: ApplicationConfiguration {
        ApplicationConfiguration(
            address: .hostname(settings.host, port: settings.port), serverName: "ledge",
            availableConnectionsDelegate: MaximumAvailableConnections(budget.limit, logger: logger))
    }

    @Sendable func onServerRunning(_ channel: any Channel) async { await running(channel) }

    func run() async throws {
        let (responder, logger, serverName) = (self.responder, self.logger, configuration.serverName)
        let dates = HTTPDate()
        let child = GuardedHTTP1Channel(
            responder: { request, writer, channel in
                var logger = logger
                logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
                var response = try await withLogger(logger) { logger in
                    let context = Responder.Context(source: .init(channel: channel, logger: logger))
                    do {
                        return try await responder.respond(to: request, context: context)
                    } catch let error as HTTPParserError {
                        throw error
                    } catch {
                        logger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
                        return Response(status: .internalServerError, body: .init())
                    }
                }
                response.headers[.date] = dates.now
                if let serverName { response.headers[.server] = serverName }
                do {
                    try await writer.write(response: response.head, body: response.body)
                } catch is HTTPParserError {
                    // Not rethrown: the channel would answer a parser error with a second response.
                    throw ResponseWriteFailed()
                }
            },
            http1: http1, guardConfiguration: guardConfiguration)
        if let tls = settings.tls {
            try await listen(TLSChildChannel(base: child, tls: tls))
        } else {
            try await listen(child)
        }
    }

    private func listen(_ child: some ServerChildChannel) async throws {
        try await HTTPListener(
            child: child, host: settings.host, port: settings.port, reusePort: settings.reusePort, budget: budget,
            eventLoopGroup: eventLoopGroup, logger: logger, onRunning: onServerRunning, onShutdown: settings.onShutdown
        ).run()
    }
}

/// A response write failed on a parse error: the connection closes without another response.
struct ResponseWriteFailed: Error {}

/// The `Date` field value (RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`), formatted once a second.
final class HTTPDate: Sendable {
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    var now: String {
        let second = time(nil)
        return cache.withLock { cache in
            if cache.second != second { cache = (second, Self.format(second)) }
            return cache.text
        }
    }

    static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
