#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import NIOSSL

/// A client certificate and its key, PEM files on this machine: what ``HTTPClient`` presents to a
/// server that asks for one (mutual TLS, `ledge serve --tls-client-ca`).
public struct ClientIdentity: Sendable, Hashable {
    public var certificateFile: String
    public var keyFile: String

    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// One of the two files, for ``problem(naming:)``.
    public enum Part: Sendable { case certificate, key }

    /// Loads both files and checks that the key is the certificate's: one line naming the file at
    /// fault, after `label`, else `nil`.
    public func problem(label: String) -> String? {
        problem { part, file in "\(label): \(part == .certificate ? "tls_client_cert" : "tls_client_key") \(file)" }
    }

    /// ``problem(label:)`` with each line's start written by `naming` (the part at fault and its file).
    public func problem(naming: (Part, String) -> String) -> String? {
        guard let chain = try? NIOSSLCertificate.fromPEMFile(certificateFile), !chain.isEmpty else {
            return "\(naming(.certificate, certificateFile)): no PEM certificate could be read"
        }
        guard let key = try? NIOSSLPrivateKey(file: keyFile, format: .pem) else {
            return "\(naming(.key, keyFile)): no PEM private key (unencrypted) could be read"
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key)
        guard (try? NIOSSLContext(configuration: configuration)) != nil else {
            return "\(naming(.key, keyFile)): the key does not match the certificate in \(certificateFile)"
        }
        return nil
    }
}

extension HTTPClient {
    /// `SSL_CERT_FILE` as OpenSSL and the tools built on it read it: a PEM file of the roots that
    /// replace the system's for every client without its own (a company's CA in a container that
    /// mounts it); read once, with why it cannot be used, if it cannot.
    package static let environmentTrustRoots: (path: String, problem: String?)? = {
        guard let path = ProcessInfo.processInfo.environment["SSL_CERT_FILE"], !path.isEmpty else { return nil }
        return (path, trustRootsProblem(path, label: "SSL_CERT_FILE"))
    }()

    /// `trustRoots`, else `SSL_CERT_FILE`'s file, else `nil` (the system's roots); an unusable
    /// `SSL_CERT_FILE` throws its one-line problem.
    package static func roots(_ trustRoots: String?) throws -> String? {
        guard trustRoots == nil, let environment = environmentTrustRoots else { return trustRoots }
        if let problem = environment.problem { throw UnusableTrustRoots(description: problem) }
        return environment.path
    }

    /// Reads `path` as a PEM file of trust roots: `nil` when it holds at least one certificate,
    /// else one line naming `label` and the file.
    public static func trustRootsProblem(_ path: String, label: String) -> String? {
        guard let roots = try? NIOSSLCertificate.fromPEMFile(path), !roots.isEmpty else {
            return "\(label)=\(path): no PEM certificate could be read"
        }
        return nil
    }
}

/// `SSL_CERT_FILE` names a file without a certificate: the reason a TLS request fails.
struct UnusableTrustRoots: Error, CustomStringConvertible {
    let description: String
}
