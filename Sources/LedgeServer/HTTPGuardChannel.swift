internal import HTTPTypes
internal import HummingbirdCore
internal import Logging
internal import NIOCore
internal import NIOHTTP1
internal import NIOHTTPTypes
internal import NIOHTTPTypesHTTP1

/// The per-connection guard of `ledge serve`'s HTTP/1 server: every request
/// the HTTP parser (llhttp) rejects gets a 4xx with a JSON `{"error": …}`
/// body, and slow clients meet deadlines (see ``HTTPGuardHandler``).
///
/// Deadlines of the connection guard.
struct HTTPGuardConfiguration: Sendable {
    /// From the first byte of a request head to its last (slowloris). 408.
    var headerTimeout: TimeAmount = .seconds(20)
    /// Keep-alive: no byte of a next request this long after the last response (or the accept). Closed silently.
    var idleTimeout: TimeAmount = .seconds(30)
    /// Body: `bodyInitialTimeout` plus one second per `minBodyBytesPerSecond` bytes received, capped by
    /// `bodyMaxTimeout`; and no read of body bytes for `bodyStallTimeout` (a burst earns no idle credit). 408.
    var bodyInitialTimeout: TimeAmount = .seconds(20)
    var bodyStallTimeout: TimeAmount = .seconds(20)
    var minBodyBytesPerSecond: Int = 16 * 1024
    var bodyMaxTimeout: TimeAmount? = .minutes(10)
    /// A response the client does not read (channel unwritable) this long: closed.
    var writeStallTimeout: TimeAmount = .seconds(30)
    /// After an error response: FIN, then discard input for at most this long before closing (lingering close).
    var lingerTimeout: TimeAmount = .seconds(2)
    /// How long to wait for pipelined responses to finish before a deferred close.
    var closeGraceTimeout: TimeAmount = .seconds(30)
    /// While draining, an idle keep-alive connection is closed after this long without a request.
    var drainIdleTimeout: TimeAmount = .seconds(1)
    /// While draining, a request still unanswered this long after the drain began gets 503 and its
    /// connection is closed (`--exit-timeout-secs`); `nil`: it is waited for.
    var exitTimeout: TimeAmount?
    var serverName: String? = nil
    /// `Expect: 100-continue` is answered with `100 Continue` when the declared body is at most this
    /// (the server's largest body; a larger one gets its 413 without the client sending it).
    var continueLimit = Int.max
    init() {}

    /// The guard's deadlines from the server's limits.
    init(_ limits: ConnectionLimits, maxBodySize: Int = .max) {
        continueLimit = maxBodySize
        headerTimeout = TimeAmount(limits.headerTimeout)
        idleTimeout = TimeAmount(limits.idleTimeout)
        bodyInitialTimeout = TimeAmount(limits.bodyTimeout)
        bodyStallTimeout = TimeAmount(limits.bodyTimeout)
        minBodyBytesPerSecond = limits.minimumBodyRate
        writeStallTimeout = TimeAmount(limits.writeTimeout)
        exitTimeout = TimeAmount(limits.exitTimeout)
        serverName = "ledge"
    }
}

extension ServerError {
    /// The answer to an error the HTTP/1 decoder (llhttp) or the HTTP1→HTTPTypes codec raised.
    /// `sawTransferEncoding`/`sawContentLength`: the raw bytes of the failed head mention these fields.
    static func decoding(_ error: any Error, sawTransferEncoding: Bool, sawContentLength: Bool) -> ServerError? {
        switch error {
        case let parser as HTTPParserError:
            switch parser {
            case .headerOverflow:
                // maxHeaderFieldSize / maxHeaderListSize / maxHeaderFieldCount (the request line counts too).
                return .init(.requestHeaderFieldsTooLarge, "request header fields too large")
            case .invalidEOFState:
                return .requestCutShort
            case .invalidChunkSize:
                return .init(.badRequest, "invalid chunk size in chunked request body")
            case .invalidContentLength:
                return .init(.badRequest, "invalid Content-Length header")
            case .unexpectedContentLength:
                return .init(.badRequest, "Content-Length must not be sent with Transfer-Encoding")
            case .invalidMethod:
                return .init(.badRequest, "invalid or unknown request method")
            case .invalidURL:
                return .init(.badRequest, "invalid request target")
            case .invalidVersion:
                // Also what llhttp reports for a request line ending in a bare LF.
                return .init(.badRequest, "malformed request line: expected 'METHOD target HTTP/1.1' and CRLF")
            case .invalidHeaderToken, .invalidCharactersUsed:
                return .init(.badRequest, "invalid character in request header")
            case .unknown:
                // llhttp folds HPE_INVALID_TRANSFER_ENCODING (e.g. `Transfer-Encoding: identity`, or TE with
                // Content-Length) and HPE_CR_EXPECTED (bare LF) into `.unknown`: tell them apart by the raw head.
                if sawTransferEncoding && !sawContentLength {
                    return .init(.notImplemented, "unsupported Transfer-Encoding: only chunked is implemented")
                }
                if sawTransferEncoding {
                    return .init(.badRequest, "Transfer-Encoding must not be sent with Content-Length")
                }
                return .init(.badRequest, "malformed request")
            default:
                return .init(.badRequest, "malformed request (\(parser))")
            }
        case is HTTP1TypeConversionError:
            return .init(.badRequest, "malformed request head")
        case is ByteToMessageDecoderError:
            return .init(.badRequest, "malformed request")
        default:
            return nil
        }
    }

    /// `{"error": "…"}`, as every error response of the server.
    var jsonBody: ByteBuffer { ByteBuffer(bytes: JSONResponse.errorBody(message)) }
}

/// Watches raw bytes before the HTTP decoder: tells the guard when a request head starts
/// (so an idle keep-alive is told from a slow head) and drops input once the guard is closing.
final class RawInboundObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let guardHandler: HTTPGuardHandler

    init(guardHandler: HTTPGuardHandler) {
        self.guardHandler = guardHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.guardHandler.rawBytesReceived(Self.unwrapInboundIn(data)) {
            context.fireChannelRead(data)
        }
    }
}

/// HTTP1 with the guard: HTTP1Channel's pipeline plus ``RawInboundObserver`` before the decoder and
/// ``HTTPGuardHandler`` after the HTTPTypes codec.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let http1: HTTP1Channel.Configuration
    let guardConfiguration: HTTPGuardConfiguration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.assertInEventLoop()
        let guardHandler = HTTPGuardHandler(configuration: self.guardConfiguration, logger: logger)
        do {
            // Added first, so it sits in front of the encoder/decoder HTTP1Channel adds next.
            try channel.pipeline.syncOperations.addHandler(RawInboundObserver(guardHandler: guardHandler))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        var configuration = self.http1
        let boxed = NIOLoopBound(guardHandler, eventLoop: channel.eventLoop)
        let extra = configuration.additionalChannelHandlers
        configuration.additionalChannelHandlers = { [boxed.value] + extra() }
        return HTTP1Channel(responder: self.responder, configuration: configuration)
            .setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: self.responder, configuration: self.http1).handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// `.http1(configuration:)` plus the connection guard.
    static func guardedHTTP1(
        configuration: HTTP1Channel.Configuration = .init(),
        guard guardConfiguration: HTTPGuardConfiguration = .init()
    ) -> HTTPServerBuilder {
        .init { responder in
            GuardedHTTP1Channel(responder: responder, http1: configuration, guardConfiguration: guardConfiguration)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
