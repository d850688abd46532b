public import LedgeCore
internal import HummingbirdCore
internal import Logging
internal import LedgeServing
internal import NIOCore
internal import NIOSSL
internal import NIOCertificateReloading

/// The server's TLS settings, loaded and checked once before the server listens: every
/// connection then starts with a TLS handshake (TLS 1.2 or 1.3, ALPN `http/1.1`), given the
/// certificate and key ``credentials`` hold now (``TLSCredentials/reload()`` swaps them) and,
/// with client trust roots, refused unless the client presents a certificate they verify (mTLS).
public struct ServerTLS: Sendable {
    let context: NIOSSLContext
    /// The certificate chain and key, reloadable; the gRPC server is given the same object.
    public let credentials: TLSCredentials
    /// The CA certificates a client certificate must chain to, reloadable (`--tls-client-ca`); `nil`: none asked for.
    public let clientTrust: ClientTrust?

    /// Loads a PEM certificate chain (the server's certificate first), a PEM private key and, for
    /// mutual TLS, a PEM file of the CA certificates that sign client certificates. Throws an
    /// ``LedgeError/Code/invalidInput`` line naming the file and option at fault: missing,
    /// unreadable, empty, not PEM, or a key that does not belong to the certificate.
    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) throws(LedgeError) {
        credentials = try TLSCredentials(certificateFile: certificateFile, keyFile: keyFile)
        clientTrust = try clientCAFile.map { file throws(LedgeError) in try ClientTrust(file: file) }
        let (chain, key) = credentials.pair
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        configuration.shutdownTimeout = TimeAmount(TLSClosing.closeNotifyWait)
        if let clientTrust {
            // A client certificate is required and its chain verified (by ``ClientTrust/verify(_:_:)``,
            // against the roots held at each handshake), not a host name: it names a client.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(clientTrust.nioRoots)
        }
        configuration.setCertificateReloader(credentials)
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .invalidInput("--tls-cert \(certificateFile): the TLS settings could not be applied: \(error)")
        }
    }

    /// A new server-side TLS handler for one connection.
    func makeHandler() -> NIOSSLServerHandler {
        guard let clientTrust else { return NIOSSLServerHandler(context: context) }
        return NIOSSLServerHandler(context: context, customVerificationCallbackWithMetadata: clientTrust.verify)
    }
}

/// A child channel that starts with a TLS handshake: ``ServerTLS``'s handler first in the pipeline
/// (nearest the socket), then `base`'s handlers, which see only decrypted bytes. A client that never
/// completes the handshake sends no request bytes, so the guard's idle deadline closes it.
struct TLSChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let tls: ServerTLS

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers([tls.makeHandler(), TLSFailureLogger(logger: logger)])
            if tls.clientTrust != nil { try channel.pipeline.syncOperations.addHandler(PeerSubjectRecorder()) }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Logs a failed handshake (a plain-HTTP client on the TLS port, an untrusting client) at debug
/// level, once per connection, with the peer's address; the error goes on down the pipeline.
final class TLSFailureLogger: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let logger: Logger
    private var logged = false

    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !logged, let failure = error as? NIOSSLError, case .handshakeFailed = failure {
            logged = true
            logger.debug("TLS handshake failed from \(context.remoteAddress?.description ?? "an unknown peer"): \(failure)")
        }
        context.fireErrorCaught(error)
    }
}
