#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
public import NIOCore
public import NIOSSL
internal import SwiftASN1
internal import Synchronization
internal import X509

/// The CA certificates a client certificate must chain to (`--tls-client-ca`, mutual TLS), read at
/// start and again by ``reload()``, so that a new client CA (a rotation, a second CA during one) is
/// trusted from the next handshake on without a restart, on the HTTP and gRPC ports alike.
///
/// NIOSSL fixes a context's trust roots when the context is made, so the servers verify client
/// chains through ``verify(_:_:)`` instead (NIOSSL's custom verification callback): the chain
/// the client sent must lead to one of the roots held now (RFC 5280: signatures, validity
/// periods, CA constraints), and a leaf that names its uses must name client authentication.
public final class ClientTrust: Sendable {
    /// The PEM file of CA certificates (`--tls-client-ca`).
    public let file: String
    private let state: Mutex<Loaded>

    struct Loaded: Sendable {
        var bytes: [UInt8]
        var roots: [Certificate]
        /// The same roots as NIOSSL reads them.
        var nioRoots: [NIOSSLCertificate]
    }

    /// Reads `file`; throws a line naming it when it holds no PEM certificate.
    init(file: String) throws(LedgeError) {
        self.file = file
        let bytes = try TLSCredentials.read(file, option: "--tls-client-ca", expected: "a PEM certificate file")
        state = Mutex(try Self.parse(file: file, bytes))
    }

    /// The PEM bytes of the roots held now.
    public var pemBytes: [UInt8] { state.withLock { $0.bytes } }

    /// The roots held now, as NIOSSL reads them.
    var nioRoots: [NIOSSLCertificate] { state.withLock { $0.nioRoots } }

    /// Reads the file again and trusts what it holds from the next handshake on, if it changed and holds certificates.
    public func reload() -> TLSCredentials.Outcome {
        do {
            let bytes = try TLSCredentials.read(file, option: "--tls-client-ca", expected: "a PEM certificate file")
            if state.withLock({ $0.bytes == bytes }) { return .unchanged }
            let loaded = try Self.parse(file: file, bytes)
            state.withLock { $0 = loaded }
            return .reloaded("\(loaded.roots.count) CA certificate\(loaded.roots.count == 1 ? "" : "s")")
        } catch {
            return .failed(error.message)
        }
    }

    static func parse(file: String, _ bytes: [UInt8]) throws(LedgeError) -> Loaded {
        let nioRoots = (try? NIOSSLCertificate.fromPEMBytes(bytes)) ?? []
        let roots = nioRoots.compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        guard !roots.isEmpty, roots.count == nioRoots.count else {
            throw .invalidInput("--tls-client-ca \(file): no PEM certificate ('-----BEGIN CERTIFICATE-----') could be read")
        }
        return Loaded(bytes: bytes, roots: roots, nioRoots: nioRoots)
    }

    /// NIOSSL's custom verification: completes `promise` with the validated chain (leaf first)
    /// when `chain` (the client's certificates, leaf first) leads to a root held now, else `.failed`.
    public func verify(_ chain: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResultWithMetadata>) {
        let (roots, nioRoots) = state.withLock { ($0.roots, $0.nioRoots) }
        let certificates = chain.compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        guard let leaf = certificates.first, certificates.count == chain.count else {
            promise.succeed(.failed)
            return
        }
        promise.completeWithTask {
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) { RFC5280Policy(validationTime: Date()) }
            let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(certificates.dropFirst())))
            guard case .validCertificate(let validated) = result, Self.allowsClientAuthentication(leaf) else { return .failed }
            // The validated path in NIOSSL's certificates: the client's own, then one of the roots.
            let path = Array(validated).compactMap { certificate -> NIOSSLCertificate? in
                if let index = certificates.firstIndex(of: certificate) { return chain[index] }
                return roots.firstIndex(of: certificate).map { nioRoots[$0] }
            }
            guard !path.isEmpty, path.count == Array(validated).count else { return .failed }
            return .certificateVerified(VerificationMetadata(NIOSSL.ValidatedCertificateChain(path)))
        }
    }

    /// A leaf without an extended key usage extension may be used for anything; one with it must list client authentication.
    static func allowsClientAuthentication(_ leaf: Certificate) -> Bool {
        guard let usage = try? leaf.extensions.extendedKeyUsage else { return true }
        return usage.contains(.clientAuth) || usage.contains(.any)
    }
}
