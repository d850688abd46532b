public import Hummingbird
public import NIOCore
internal import NIOSSL
internal import NIOTLS
internal import SwiftASN1
internal import Synchronization
internal import X509

/// Hummingbird's basic request context, plus who is calling: the connection's peer address and,
/// with mutual TLS, the subject of the client certificate verified at the handshake. The access
/// line names both (`client=127.0.0.1:51234 client_cert="CN=camera-7"`).
public struct LedgeRequestContext: RequestContext, PeerDescribing {
    public var coreContext: CoreRequestContextStorage
    /// The client's address; `nil` when the channel has none (in-process tests).
    public let peerAddress: SocketAddress?
    /// The verified client certificate's subject (mutual TLS), else `nil`.
    public let peerSubject: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress
        peerSubject = PeerSubjects.shared.subject(of: source.channel)
    }
}

/// A request context that knows its peer (``LedgeRequestContext``).
protocol PeerDescribing {
    var peerAddress: SocketAddress? { get }
    var peerSubject: String? { get }
}

extension SocketAddress {
    /// `127.0.0.1:51234`, `[::1]:51234` or the socket's path: the address as access lines show it.
    var accessLogText: String {
        switch self {
        case .v4: return "\(ipAddress ?? "?"):\(port ?? 0)"
        case .v6: return "[\(ipAddress ?? "?")]:\(port ?? 0)"
        case .unixDomainSocket: return pathname ?? "unix"
        }
    }
}

/// The verified client-certificate subjects of the open mutual-TLS connections, recorded when a
/// handshake completes (``PeerSubjectRecorder``) and forgotten when the connection closes.
final class PeerSubjects: Sendable {
    static let shared = PeerSubjects()
    private let subjects = Mutex<[ObjectIdentifier: String]>([:])

    func subject(of channel: any Channel) -> String? { subjects.withLock { $0[ObjectIdentifier(channel)] } }

    func record(_ subject: String, for channel: any Channel) { subjects.withLock { $0[ObjectIdentifier(channel)] = subject } }

    func forget(_ channel: any Channel) { _ = subjects.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
}

/// After the TLS handler of a mutual-TLS connection: records the subject of the client certificate
/// NIOSSL verified (``ClientTrust/verify(_:_:)``) once the handshake completes.
final class PeerSubjectRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent,
            let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
            let leaf = tls.peerValidatedCertificateChain?.leaf,
            let certificate = try? Certificate(derEncoded: leaf.toDERBytes())
        {
            PeerSubjects.shared.record(certificate.subject.description, for: context.channel)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        PeerSubjects.shared.forget(context.channel)
        context.fireChannelInactive()
    }
}
