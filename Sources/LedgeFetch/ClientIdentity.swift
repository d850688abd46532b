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

/// What a TLS client verifies servers against: a PEM file it was given, or the certificates
/// the environment names (``HTTPClient/environmentTrustRoots``), as DER.
package enum TrustRoots: Sendable {
    case file(String)
    case certificates([[UInt8]])
}

extension HTTPClient {
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` as OpenSSL and the tools built on it read them: a PEM
    /// file of roots, and folders (colon-separated) whose files hold more (`openssl rehash`'s, or
    /// any PEM files), which together replace the system's for every client without its own (a
    /// company's CA in a container that mounts it); read once, with why they cannot be used, if
    /// they cannot. `nil` when neither is set.
    package static let environmentTrustRoots: (certificates: [[UInt8]], problem: String?)? = {
        let environment = ProcessInfo.processInfo.environment
        let file = environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let folders = environment["SSL_CERT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        guard file != nil || folders != nil else { return nil }
        var certificates: [[UInt8]] = []
        if let file {
            if let problem = trustRootsProblem(file, label: "SSL_CERT_FILE") { return ([], problem) }
            certificates += ((try? NIOSSLCertificate.fromPEMFile(file)) ?? []).compactMap { try? $0.toDERBytes() }
        }
        if let folders {
            let found = HTTPClient.certificates(inFolders: folders.split(separator: ":").map(String.init))
            if found.isEmpty { return ([], "SSL_CERT_DIR=\(folders): no PEM certificate in its folders") }
            certificates += found
        }
        return (certificates, nil)
    }()

    /// The certificates (DER) of every PEM file in `folders` (names starting with `.` and files
    /// that hold none skipped), each once.
    static func certificates(inFolders folders: [String]) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        var found: [[UInt8]] = []
        for folder in folders where !folder.isEmpty {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            for name in names where !name.hasPrefix(".") && LocalFiles.kind(folder + "/" + name) == .file {
                for certificate in (try? NIOSSLCertificate.fromPEMFile(folder + "/" + name)) ?? [] {
                    guard let der = try? certificate.toDERBytes(), seen.insert(der).inserted else { continue }
                    found.append(der)
                }
            }
        }
        return found
    }

    /// `trustRoots` (a PEM file), else the environment's (``environmentTrustRoots``), else `nil`
    /// (the system's roots); unusable environment roots throw their one-line problem.
    package static func roots(_ trustRoots: String?) throws -> TrustRoots? {
        if let trustRoots { return .file(trustRoots) }
        guard let environment = environmentTrustRoots else { return nil }
        if let problem = environment.problem { throw UnusableTrustRoots(description: problem) }
        return .certificates(environment.certificates)
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

/// `SSL_CERT_FILE` or `SSL_CERT_DIR` names no certificate: the reason a TLS request fails.
struct UnusableTrustRoots: Error, CustomStringConvertible {
    let description: String
}
