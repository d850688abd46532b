#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
public import Logging
public import NIOCore

/// Server-channel handler that stops the accept spin when the process is out of descriptors.
///
/// NIO's `ServerSocketChannel.readFromSocket` only clears `readPending` after a *successful*
/// accept. When accept fails with EMFILE/ENFILE the channel keeps its read interest, the queued
/// connection keeps the listening socket readable, and level-triggered epoll wakes the loop
/// again at once: accept → EMFILE → … at 100% CPU. NIO's own `AcceptBackoffHandler` only delays
/// *outbound `read()` calls*, and none is issued in that state, so it cannot help.
/// Turning `autoRead` off removes the read interest; turning it on again re-registers it.
/// The ``ConnectionBudget`` keeps the server's own connections from running the process out of
/// descriptors; this is the second line, for when something else takes them.
final class AcceptExhaustionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let retryAfter: TimeAmount
    private let logger: Logger
    private var paused = false
    private var resumeTask: Scheduled<Void>?
    private var lastWarning: NIODeadline?
    /// ``ListenerGuards/stopAccepting(_:)`` was called: no resume.
    var stopped = false

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
        guard self.paused, !self.stopped else { return }
        self.paused = false
        self.resumeTask?.cancel()
        self.resumeTask = nil
        guard context.channel.isActive else { return }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)  // read0(): re-registers
    }
}

/// Server-channel handler that serves connections only while the process's ``ConnectionBudget`` has
/// room: past it, the listener stops reading and new connections wait in the kernel's listen backlog
/// until one of the server's connections (over either protocol) closes. Hummingbird's
/// `AvailableConnectionsChannelHandler`, with one count for the HTTP and gRPC listeners: the
/// connection that spends the budget pauses every listener, and the first to close resumes them.
/// A listener accepts several connections per read, and another listener's may be under way: a
/// connection accepted past the budget waits here, not yet served (``parked``), until there is room.
final class ConnectionBudgetHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    private let budget: ConnectionBudget
    private var key: Int?
    /// Accepted past the budget, oldest first; served before the listener reads again.
    private var parked: [any Channel] = []
    /// ``ListenerGuards/stopAccepting(_:)`` was called: reads stay off.
    private(set) var stopped = false

    init(budget: ConnectionBudget) { self.budget = budget }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let pause: @Sendable () -> Void = {
            bound.eventLoop.execute { try? bound.value.context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
        }
        let resume: @Sendable () -> Void = {
            bound.eventLoop.execute { bound.value.handler.resume(context: bound.value.context) }
        }
        key = budget.add(listener: .init(pause: pause, resume: resume))
    }

    /// Room again: the parked connections first, then (if room is left) reading.
    private func resume(context: ChannelHandlerContext) {
        guard context.channel.isActive, !stopped else { return }
        var forwarded = false
        while let child = parked.first, budget.tryOpen() {
            parked.removeFirst()
            serve(child, context: context)
            forwarded = true
        }
        if forwarded { context.fireChannelReadComplete() }
        guard parked.isEmpty, budget.hasRoom else { return }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        context.read()  // also when autoRead was on: a read this handler held back
    }

    /// Stops for good: no more reads, and the parked connections close (the server is shutting down).
    func stop() {
        stopped = true
        closeParked()
    }

    private func closeParked() {
        let children = parked
        parked = []
        for child in children { child.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let key { budget.remove(listener: key) }
        key = nil
        closeParked()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let key { budget.remove(listener: key) }
        key = nil
        closeParked()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = Self.unwrapInboundIn(data)
        guard !stopped else { return child.close(promise: nil) }
        if parked.isEmpty && budget.tryOpen() {
            serve(child, context: context)
        } else {
            parked.append(child)
        }
    }

    private func serve(_ child: any Channel, context: ChannelHandlerContext) {
        let budget = self.budget
        child.closeFuture.whenComplete { _ in budget.closed() }
        context.fireChannelRead(Self.wrapInboundOut(child))
    }

    func read(context: ChannelHandlerContext) {
        // Spent: no read until a connection closes (the budget's resume reads then).
        if budget.hasRoom && parked.isEmpty && !stopped { context.read() }
    }
}

/// The listening channel's guards, for the HTTP and gRPC listeners alike.
public enum ListenerGuards {
    /// Adds ``ConnectionBudgetHandler`` and ``AcceptExhaustionHandler`` at the front of a
    /// listening (server) channel's pipeline; call on its event loop, before it listens.
    public static func install(on serverChannel: any Channel, budget: ConnectionBudget, logger: Logger) throws {
        let pipeline = serverChannel.pipeline.syncOperations
        try pipeline.addHandler(ConnectionBudgetHandler(budget: budget), position: .first)
        // In front: an accept error stops there, and the budget handler sees the reads it causes.
        try pipeline.addHandler(AcceptExhaustionHandler(logger: logger), position: .first)
    }

    /// Stops accepting for good (the server is shutting down): `autoRead` off, and neither guard turns
    /// it on again. Call on the channel's event loop.
    public static func stopAccepting(_ serverChannel: any Channel) {
        let pipeline = serverChannel.pipeline.syncOperations
        (try? pipeline.handler(type: ConnectionBudgetHandler.self))?.stop()
        (try? pipeline.handler(type: AcceptExhaustionHandler.self))?.stopped = true
        try? serverChannel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
    }
}
