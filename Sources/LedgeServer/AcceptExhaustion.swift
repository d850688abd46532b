#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import Logging
internal import NIOCore

/// Server-channel handler that stops the accept spin when the process is out of descriptors.
///
/// NIO's `ServerSocketChannel.readFromSocket` only clears `readPending` after a *successful*
/// accept. When accept fails with EMFILE/ENFILE the channel keeps its read interest, the queued
/// connection keeps the listening socket readable, and level-triggered epoll wakes the loop
/// again at once: accept → EMFILE → … at 100% CPU. NIO's own `AcceptBackoffHandler` only delays
/// *outbound `read()` calls*, and none is issued in that state, so it cannot help.
/// Turning `autoRead` off removes the read interest; turning it on again re-registers it.
final class AcceptExhaustionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let retryAfter: TimeAmount
    private let logger: Logger
    private var paused = false
    private var resumeTask: Scheduled<Void>?
    private var lastWarning: NIODeadline?

    init(retryAfter: TimeAmount = .milliseconds(250), logger: Logger) {
        self.retryAfter = retryAfter
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let io = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(io.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        let now = NIODeadline.now()
        if self.lastWarning.map({ now - $0 > .seconds(10) }) ?? true {
            self.lastWarning = now
            self.logger.warning("cannot accept connections: \(io); pausing accept")
        }
        self.pause(context: context)
        // Not forwarded: NIO's AcceptBackoffHandler behind us would swallow it anyway.
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A descriptor comes free whenever a connection closes: accept again right then.
        let child = Self.unwrapInboundIn(data)
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        child.closeFuture.hop(to: context.eventLoop).whenComplete { _ in
            let (handler, context) = bound.value
            if handler.paused { handler.resume(context: context) }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.resumeTask?.cancel()
        self.resumeTask = nil
        context.fireChannelInactive()
    }

    private func pause(context: ChannelHandlerContext) {
        guard !self.paused else { return }
        self.paused = true
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        self.resumeTask = context.eventLoop.assumeIsolated().scheduleTask(in: self.retryAfter) {
            self.resume(context: context)
        }
    }

    private func resume(context: ChannelHandlerContext) {
        guard self.paused else { return }
        self.paused = false
        self.resumeTask?.cancel()
        self.resumeTask = nil
        guard context.channel.isActive else { return }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)  // read0(): re-registers
    }
}

/// Installs ``AcceptExhaustionHandler`` at the front of the server channel's pipeline.
/// Call from `Application(onServerRunning:)`: that closure receives the *server* channel.
func installAcceptExhaustionHandler(on serverChannel: any Channel, logger: Logger) async throws {
    try await serverChannel.eventLoop.submit {
        try serverChannel.pipeline.syncOperations.addHandler(
            AcceptExhaustionHandler(logger: logger),
            position: .first
        )
    }.get()
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force.
func raiseDescriptorLimit() -> Int {
    #if os(Linux)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(resource, &raised) == 0 { limit = raised }
    }
    return Int(clamping: limit.rlim_cur)
}
