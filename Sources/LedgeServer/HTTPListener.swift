#if canImport(Glibc)
internal import Glibc
#endif
internal import HummingbirdCore
internal import LedgeServing
internal import Logging
internal import NIOCore
internal import NIOExtras
internal import NIOPosix
internal import ServiceLifecycle

/// The listening socket of `ledge serve` and its accept loop: what Hummingbird's `Server` (2.28.1)
/// does, on a `ServerBootstrap` of our own. Hummingbird's bootstrap runs none of our code before
/// `bind` (its server-channel initializer only wraps our `AvailableConnectionsDelegate` in its own
/// handler, whose first call to us comes after bind), and `SO_REUSEPORT` counts only when set before
/// bind, on every socket sharing the port.
struct HTTPListener<Child: ServerChildChannel>: Service {
    let child: Child
    let host: String
    let port: Int
    /// Sets `SO_REUSEPORT` before bind and steers new connections to the newest server (``ReusePortSteering``).
    let reusePort: Bool
    /// The connections open at once, shared with the gRPC listener.
    let budget: ConnectionBudget
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Called with the server channel once it listens (and steers).
    let onRunning: @Sendable (any Channel) async -> Void
    /// Called once when graceful shutdown begins, before the listening socket closes.
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        let (budget, logger) = (self.budget, self.logger)
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        let handoff = ChildHandoff()
        var bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    try ListenerGuards.install(on: channel, budget: budget, logger: logger)
                    try channel.pipeline.syncOperations.addHandler(handoff.handler())
                }
            }
        // The bootstrap applies server options right after creating the socket, before bind (NIO names no SO_REUSEPORT).
        if reusePort {
            bootstrap = bootstrap.serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
        }
        let child = self.child
        let server = try await bootstrap.bind(host: host, port: port, serverBackPressureStrategy: nil) { channel in
            child.setup(channel: channel, logger: logger)
        }
        if reusePort {
            do {
                try await ReusePortSteering.attach(to: server.channel)
            } catch {
                try? await server.channel.close()
                throw error
            }
        }
        logger.info("Server started and listening on \(host):\(server.channel.localAddress?.port ?? port)")
        await withGracefulShutdownHandler {
            await onRunning(server.channel)
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            handoff.delivered(connection.channel)
                            group.addTask { await child.handle(value: connection, logger: logger) }
                        }
                    }
                } catch {
                    logger.error("Waiting on child channel: \(error)")
                }
            }
        } onGracefulShutdown: {
            onShutdown()
            // Stops accepting; once what was accepted reached the loop above (ChildHandoff), closes the listening
            // socket and asks each connection to finish its request and close; the accept loop above ends, and
            // the task group waits for the connections.
            handoff.stopAccepting(server.channel) { quiescing.initiateShutdown(promise: nil) }
        }
    }
}
