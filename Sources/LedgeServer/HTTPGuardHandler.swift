internal import LedgeCore
internal import HTTPTypes
internal import Logging
internal import NIOCore
internal import NIOHTTP1
internal import NIOHTTPTypes

/// Per-connection guard, between `HTTP1ToHTTPServerCodec` and Hummingbird's `HTTPConnectionStateHandler`:
/// answers decoder errors and timeouts with JSON 4xx, closes early-answered and `Connection: close`
/// exchanges, and enforces header/idle/body/write deadlines.
final class HTTPGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Inbound { case idle, head, body }

    private let configuration: HTTPGuardConfiguration
    private let logger: Logger
    private var context: ChannelHandlerContext?

    private var inbound = Inbound.idle
    private var phaseStart = NIODeadline.now()
    private var bodyBytes = 0
    private var lastBodyProgress = NIODeadline.now()
    private var responsesOwed = 0  // heads forwarded to the app minus response ends written
    private var responseStarted = false
    private var closeWhenIdle = false  // close once responsesOwed reaches 0
    private var closeDeadline: NIODeadline?
    private var drainDeadline: NIODeadline?  // draining: close when still idle at this time
    private var exitDeadline: NIODeadline?  // draining: what is still unanswered then gets 503
    private var pendingError: ServerError?
    private var inputDead = false  // stop forwarding input: the guard has taken over
    private var dropAppWrites = false  // the guard answered the request the app is working on
    private var closing = false
    private var inputClosed = false
    private var lingerDeadline: NIODeadline?
    private var unwritableSince: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    // A cheap scan of the raw head, to tell `Transfer-Encoding: identity` (501) from other llhttp `.unknown`s.
    private var sawTransferEncoding = false
    private var sawContentLength = false
    private var scannedHeadBytes = 0
    private var scanTail: [UInt8] = []
    private var headScanned = false

    init(configuration: HTTPGuardConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.phaseStart = .now()
            self.rearm()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.phaseStart = .now()
        self.rearm()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    // MARK: inbound

    /// Called by ``RawInboundObserver`` for every buffer read; `false` drops it.
    func rawBytesReceived(_ buffer: ByteBuffer) -> Bool {
        if self.inputDead { return false }
        switch self.inbound {
        case .idle:
            self.inbound = .head
            self.phaseStart = .now()
            self.sawTransferEncoding = false
            self.sawContentLength = false
            self.scannedHeadBytes = 0
            self.scanTail = []
            self.headScanned = false
            self.scan(buffer)
            self.rearm()
        case .head:
            self.scan(buffer)
        case .body:
            break
        }
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.inputDead { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.inbound = .body
            self.phaseStart = .now()
            self.lastBodyProgress = self.phaseStart
            self.bodyBytes = 0
            if let coding = head.headerFields[.transferEncoding],
                coding.trimmingWhitespace().lowercased() != "chunked"
            {
                // llhttp accepts `gzip, chunked` (chunked last) and de-chunks; nothing here undoes gzip.
                self.inbound = .idle  // not the app's request: never fire the error into its stream
                self.fail(ServerError(.notImplemented, "unsupported Transfer-Encoding '\(coding)': only chunked is implemented"))
                return
            }
            if let connection = head.headerFields[.connection], connection.lowercased().contains("close") {
                self.closeWhenIdle = true
            }
            // curl and libcurl ask before sending a body of 1 MB or more, and wait a second for the answer.
            if head.headerFields[.expect]?.lowercased() == "100-continue",
                head.headerFields[.contentLength].flatMap(Int.init).map({ $0 <= self.configuration.continueLimit }) ?? true
            {
                context.writeAndFlush(Self.wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
            self.responsesOwed += 1
            self.rearm()
        case .body(let buffer):
            self.bodyBytes += buffer.readableBytes
            self.lastBodyProgress = .now()
        case .end:
            self.inbound = .idle
            self.phaseStart = .now()
            self.rearm()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.inputDead {
            // Decoder noise after the first failure (dataReceivedInErrorState …): nothing more to say.
            if error is HTTPParserError || error is ByteToMessageDecoderError { return }
            context.fireErrorCaught(error)
            return
        }
        if let parser = error as? HTTPParserError, parser == .closedConnection {
            // Bytes after a `Connection: close` request: ignore them, close after the response.
            self.inputDead = true
            self.closeWhenIdle = true
            if self.responsesOwed == 0 { self.closeGracefully() }
            return
        }
        guard
            let failure = ServerError.decoding(
                error,
                sawTransferEncoding: self.sawTransferEncoding,
                sawContentLength: self.sawContentLength
            )
        else {
            context.fireErrorCaught(error)  // I/O errors etc.: Hummingbird's business
            return
        }
        self.fail(failure)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // Draining (SIGTERM). Not passed on: Hummingbird would close an idle keep-alive
            // connection at once, and a busy client's next request, already on its way, would
            // fail. Instead the request in progress, or the next one, is answered with
            // `Connection: close` and the connection ends after it (the client reconnects — to
            // the new server when one shares the port); a connection still idle after
            // `drainIdleTimeout` is closed.
            // A request still unanswered at the exit timeout gets 503 (see ``exitTimeoutPassed()``).
            self.closeWhenIdle = true
            self.drainDeadline = .now() + self.configuration.drainIdleTimeout
            self.exitDeadline = self.configuration.exitTimeout.map { .now() + $0 }
            self.rearm()
            return
        }
        if case .some(.inputClosed) = event as? ChannelEvent {
            self.inputClosed = true
            if self.closing || (!self.inputDead && self.responsesOwed == 0 && self.inbound == .idle) {
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.unwritableSince = context.channel.isWritable ? nil : .now()
        self.rearm()
        context.fireChannelWritabilityChanged()
    }

    // MARK: outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if self.dropAppWrites {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch Self.unwrapOutboundIn(data) {
        case .head(var response):
            if (100..<200).contains(response.status.code) { break }  // informational: not the response
            self.responseStarted = true
            // Answered before the request body was read (413, 404 on a POST …): close afterwards
            // rather than let Hummingbird drain an arbitrarily large or slow body.
            if self.inbound == .body && self.responsesOwed == 1 {
                self.closeWhenIdle = true
            }
            if self.closeWhenIdle {
                response.headerFields[.connection] = "close"
                context.write(Self.wrapOutboundOut(.head(response)), promise: promise)
                return
            }
        case .body:
            break
        case .end:
            self.responseStarted = false
            self.responsesOwed -= 1
            if self.responsesOwed == 0 {
                if let error = self.pendingError {
                    context.write(data, promise: promise)
                    self.respondAndClose(error)
                    return
                }
                if self.closeWhenIdle {
                    let written = context.eventLoop.makePromise(of: Void.self)
                    written.futureResult.cascade(to: promise)
                    context.writeAndFlush(data, promise: written)
                    written.futureResult.assumeIsolated().whenComplete { _ in self.closeGracefully() }
                    return
                }
                self.phaseStart = .now()
                self.rearm()
            }
        }
        context.write(data, promise: promise)
    }

    // MARK: failing

    /// Answers `error` as JSON when possible and closes the connection.
    private func fail(_ error: ServerError) {
        guard let context = self.context, !self.inputDead else { return }
        self.inputDead = true
        self.logger.debug(
            "HTTP request rejected",
            metadata: ["status": "\(error.status.code)", "error": "\(error.message)"]
        )
        let bodyOpen = self.inbound == .body && self.responsesOwed > 0
        if bodyOpen {
            // Make the app's body iterator throw: otherwise the close below ends the stream and
            // Hummingbird's RequestBody reports a truncated body as complete.
            context.fireErrorCaught(error)
        }
        if self.responsesOwed == 0 || (bodyOpen && self.responsesOwed == 1 && !self.responseStarted) {
            // Nothing else owed: answer now; drop whatever the app still writes for this request.
            self.dropAppWrites = true
            self.responsesOwed = 0
            self.respondAndClose(error)
        } else {
            // Earlier (pipelined) responses first; answer after them unless this request's response began.
            if !bodyOpen { self.pendingError = error }
            self.closeWhenIdle = true
            self.closeDeadline = .now() + self.configuration.closeGraceTimeout
            self.rearm()
        }
    }

    /// Draining, and the exit timeout passed: a request still unanswered (its head or body still
    /// arriving, or the app still working on it) gets 503 and the connection closes; one whose
    /// response is on its way is cut. (The app's task is cancelled a moment later: ``ServerGroup``.)
    private func exitTimeoutPassed() {
        guard let context = self.context else { return }
        let error = ServerError.exitTimeoutPassed(seconds: Double((self.configuration.exitTimeout ?? .zero).nanoseconds) / 1e9)
        guard !self.inputDead, !self.responseStarted, self.responsesOwed <= 1, self.inbound != .idle || self.responsesOwed == 1 else {
            context.close(promise: nil)
            return
        }
        self.inputDead = true
        if self.inbound == .body && self.responsesOwed == 1 { context.fireErrorCaught(error) }  // the app's body read throws
        self.dropAppWrites = true
        self.responsesOwed = 0
        self.respondAndClose(error)
    }

    private func respondAndClose(_ error: ServerError) {
        guard let context = self.context else { return }
        let body = error.jsonBody
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.readableBytes)
        fields[.connection] = "close"
        if let serverName = self.configuration.serverName { fields[.server] = serverName }
        context.write(Self.wrapOutboundOut(.head(HTTPResponse(status: error.status, headerFields: fields))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(body)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in self.closeGracefully() }
    }

    /// FIN after the response, then discard input until the client closes or `lingerTimeout`:
    /// an immediate close with unread input makes the kernel send RST, which can destroy the
    /// response before the client reads it.
    private func closeGracefully() {
        guard let context = self.context, !self.closing else { return }
        self.closing = true
        self.inputDead = true
        if self.inputClosed {
            context.close(promise: nil)
            return
        }
        let closed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: closed)
        closed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        self.lingerDeadline = .now() + self.configuration.lingerTimeout
        self.rearm()
    }

    // MARK: deadlines

    private func bodyDeadline() -> NIODeadline {
        let rate = Int64(max(1, self.configuration.minBodyBytesPerSecond))
        var deadline =
            self.phaseStart + self.configuration.bodyInitialTimeout
            + .nanoseconds(Int64(self.bodyBytes) * 1_000_000_000 / rate)
        if let cap = self.configuration.bodyMaxTimeout {
            deadline = min(deadline, self.phaseStart + cap)
        }
        return min(deadline, self.lastBodyProgress + self.configuration.bodyStallTimeout)
    }

    private var readingBodyForApp: Bool {
        self.inbound == .body && self.responsesOwed == 1 && !self.responseStarted
    }

    private func nextDeadline() -> NIODeadline? {
        if self.closing { return self.lingerDeadline }
        var deadlines: [NIODeadline] = []
        if let since = self.unwritableSince { deadlines.append(since + self.configuration.writeStallTimeout) }
        if let hard = self.closeDeadline { deadlines.append(hard) }
        if let drain = self.drainDeadline, self.responsesOwed == 0, self.inbound == .idle { deadlines.append(drain) }
        if let exit = self.exitDeadline { deadlines.append(exit) }
        if !self.inputDead {
            if self.responsesOwed == 0 {
                switch self.inbound {
                case .idle: deadlines.append(self.phaseStart + self.configuration.idleTimeout)
                case .head: deadlines.append(self.phaseStart + self.configuration.headerTimeout)
                case .body: break
                }
            } else if self.readingBodyForApp {
                deadlines.append(self.bodyDeadline())
            }
        }
        return deadlines.min()
    }

    private func rearm() {
        guard let context = self.context, context.channel.isActive else { return }
        guard let deadline = self.nextDeadline() else { return }  // a stale timer just re-evaluates
        if self.timer != nil, let current = self.timerDeadline, current <= deadline { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.timerFired() }
    }

    private func timerFired() {
        self.timer = nil
        self.timerDeadline = nil
        guard let context = self.context else { return }
        let now = NIODeadline.now()
        if self.closing {
            if let linger = self.lingerDeadline, now >= linger { context.close(promise: nil) } else { self.rearm() }
            return
        }
        if let since = self.unwritableSince, now >= since + self.configuration.writeStallTimeout {
            self.logger.debug("closing connection: client stopped reading the response")
            context.close(promise: nil)
            return
        }
        if let hard = self.closeDeadline, now >= hard {
            context.close(promise: nil)
            return
        }
        if let drain = self.drainDeadline, now >= drain, self.responsesOwed == 0, self.inbound == .idle {
            context.close(promise: nil)  // idle: nothing unread, nothing owed (as the keep-alive idle timeout)
            return
        }
        if let exit = self.exitDeadline, now >= exit {
            self.exitTimeoutPassed()
            return
        }
        if !self.inputDead {
            if self.responsesOwed == 0 {
                switch self.inbound {
                case .idle where now >= self.phaseStart + self.configuration.idleTimeout:
                    context.close(promise: nil)  // keep-alive idle: no request started, nothing to answer
                    return
                case .head where now >= self.phaseStart + self.configuration.headerTimeout:
                    let seconds = self.configuration.headerTimeout.nanoseconds / 1_000_000_000
                    self.fail(ServerError(.requestTimeout, "request header not received within \(seconds) s"))
                    return
                default:
                    break
                }
            } else if self.readingBodyForApp, now >= self.bodyDeadline() {
                let elapsed = Double((now - self.phaseStart).nanoseconds) / 1e9
                self.fail(
                    ServerError(
                        .requestTimeout,
                        "request body too slow: \(self.bodyBytes) bytes in \(cFormat("%.1f", elapsed)) s"
                            + " (minimum \(self.configuration.minBodyBytesPerSecond) bytes/s)"
                    )
                )
                return
            }
        }
        self.rearm()
    }

    // MARK: raw head scan

    private static let transferEncoding = Array("transfer-encoding:".utf8)
    private static let contentLength = Array("content-length:".utf8)

    /// Scans the raw head for the two field names, and only the head: a read
    /// that holds the head and the start of a large body is cut at the blank line.
    private func scan(_ buffer: ByteBuffer) {
        guard !self.headScanned, self.scannedHeadBytes < 128 * 1024 else { return }
        let limit = min(buffer.readableBytes, 128 * 1024 - self.scannedHeadBytes)
        // A byte loop over the raw bytes: the generic `firstRange(of:)` on a ByteBufferView
        // cost 15 % of a server's CPU under load (profiled with small infer requests).
        var bytes = self.scanTail
        buffer.withUnsafeReadableBytes { raw in
            let head = UnsafeRawBufferPointer(rebasing: raw.prefix(limit))
            let end = Self.headEndOffset(in: head)
            if end != nil { self.headScanned = true }
            bytes.append(contentsOf: head.prefix(end ?? head.count))
        }
        self.scannedHeadBytes += bytes.count - self.scanTail.count
        if !self.sawTransferEncoding { self.sawTransferEncoding = Self.contains(bytes, Self.transferEncoding) }
        if !self.sawContentLength { self.sawContentLength = Self.contains(bytes, Self.contentLength) }
        self.scanTail = Array(bytes.suffix(Self.transferEncoding.count - 1))
    }

    /// The offset just past the first CR LF CR LF in `bytes`, if any.
    private static func headEndOffset(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = 3
        while index < bytes.count {
            // Look at every fourth byte until it is LF, then check around it.
            if bytes[index] == 0x0A {
                if bytes[index - 1] == 0x0D, bytes[index - 2] == 0x0A, bytes[index - 3] == 0x0D { return index + 1 }
                index += 1
            } else if bytes[index] == 0x0D {
                index += 1
            } else {
                index += 4
            }
        }
        return nil
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        outer: for start in 0...(haystack.count - needle.count) {
            for (offset, expected) in needle.enumerated() {
                var byte = haystack[start + offset]
                if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
                if byte != expected { continue outer }
            }
            return true
        }
        return false
    }
}
