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

    /// Loads both files and checks that the key is the certificate's: one line naming the file at
    /// fault, after `label`, else `nil`.
    public func problem(label: String) -> String? {
        guard let chain = try? NIOSSLCertificate.fromPEMFile(certificateFile), !chain.isEmpty else {
            return "\(label): tls_client_cert \(certificateFile): no PEM certificate could be read"
        }
        guard let key = try? NIOSSLPrivateKey(file: keyFile, format: .pem) else {
            return "\(label): tls_client_key \(keyFile): no PEM private key (unencrypted) could be read"
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key)
        guard (try? NIOSSLContext(configuration: configuration)) != nil else {
            return "\(label): tls_client_key \(keyFile): the key does not match the certificate in \(certificateFile)"
        }
        return nil
    }
}
