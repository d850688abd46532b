public import LedgeCore
internal import HummingbirdCore
internal import Logging
internal import NIOCore
internal import NIOSSL

/// The server's certificate chain and private key, loaded and checked once before the server
/// listens: every connection then starts with a TLS handshake (TLS 1.2 or 1.3, ALPN `http/1.1`).
public struct ServerTLS: Sendable {
    let context: NIOSSLContext

    /// Loads a PEM certificate chain (the server's certificate first) and a PEM private key.
    /// Throws an ``LedgeError/Code/invalidInput`` line naming the file and option at fault: missing,
    /// unreadable, empty, not PEM, or a key that does not belong to the certificate.
    public init(certificateFile: String, keyFile: String) throws(LedgeError) {
        let certificateBytes = try Self.read(certificateFile, option: "--tls-cert", expected: "a PEM certificate file")
        let keyBytes = try Self.read(keyFile, option: "--tls-key", expected: "a PEM private key file")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            chain = []
        }
        guard !chain.isEmpty else {
            throw .invalidInput("--tls-cert \(certificateFile): no PEM certificate ('-----BEGIN CERTIFICATE-----') could be read")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw .invalidInput("--tls-key \(keyFile): no PEM private key ('-----BEGIN … PRIVATE KEY-----', unencrypted) could be read")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .invalidInput("--tls-key \(keyFile): the key does not match the certificate in \(certificateFile)")
        }
    }

    private static func read(_ path: String, option: String, expected: String) throws(LedgeError) -> [UInt8] {
        do {
            return Array(try CheckedFile.read(path, kind: option, expected: expected, code: .invalidInput))
        } catch let error as LedgeError {
            throw error
        } catch {
            throw .invalidInput("cannot read \(option) file: \(path)")
        }
    }

    /// A new server-side TLS handler for one connection.
    func makeHandler() -> NIOSSLServerHandler { NIOSSLServerHandler(context: context) }
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
