internal import LedgeCore
public import NIOCertificateReloading
public import NIOSSL
internal import Synchronization

/// The certificate chain and private key each new TLS handshake is given (HTTP and gRPC alike):
/// read from their files at start, and again by ``reload()`` so that a renewed certificate
/// (cert-manager rotating a mounted Secret, a renewal cron job) is served without a restart.
/// Connections already open keep the pair they were handshaken with.
public final class TLSCredentials: CertificateReloader, Sendable {
    /// The PEM certificate chain file (`--tls-cert`).
    public let certificateFile: String
    /// The PEM private key file (`--tls-key`).
    public let keyFile: String
    private let state: Mutex<Loaded>

    /// What a reload did.
    public enum Outcome: Sendable, Equatable {
        /// Both files hold the bytes already served.
        case unchanged
        /// A new pair is served from now on; the text describes its certificate.
        case reloaded(String)
        /// The files hold no usable pair (the line says why); the pair served before stays.
        case failed(String)
    }

    struct Loaded: Sendable {
        var certificateBytes: [UInt8]
        var keyBytes: [UInt8]
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    /// Loads and checks the pair; throws the line ``ServerTLS/init(certificateFile:keyFile:clientCAFile:)`` documents.
    init(certificateFile: String, keyFile: String) throws(LedgeError) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        state = Mutex(try Self.load(certificateFile: certificateFile, keyFile: keyFile))
    }

    /// The pair now served, as NIOSSL applies it to each new handshake.
    public var sslContextConfigurationOverride: NIOSSLContextConfigurationOverride {
        state.withLock { loaded in
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = loaded.chain.map { .certificate($0) }
            override.privateKey = .privateKey(loaded.key)
            return override
        }
    }

    /// The certificate chain and key now served.
    var pair: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) { state.withLock { ($0.chain, $0.key) } }

    /// The leaf certificate now served, as ``reload()`` describes it.
    var servedSummary: String { Self.describe(pair.chain) }

    /// Reads both files again and serves them from now on if they changed and hold a matching pair.
    public func reload() -> Outcome {
        do {
            let certificateBytes = try Self.read(certificateFile, option: "--tls-cert", expected: "a PEM certificate file")
            let keyBytes = try Self.read(keyFile, option: "--tls-key", expected: "a PEM private key file")
            if state.withLock({ $0.certificateBytes == certificateBytes && $0.keyBytes == keyBytes }) { return .unchanged }
            let loaded = try Self.parse(certificateFile: certificateFile, keyFile: keyFile, certificateBytes, keyBytes)
            state.withLock { $0 = loaded }
            return .reloaded(Self.describe(loaded.chain))
        } catch {
            return .failed(error.message)
        }
    }

    /// `serial 0A…, valid until Thu, 05 Dec 2026 19:30:00 GMT`: the leaf certificate, for the log.
    static func describe(_ chain: [NIOSSLCertificate]) -> String {
        guard let leaf = chain.first else { return "no certificate" }
        let serial = leaf.serialNumber.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined()
        return "serial \(serial), valid until \(HTTPDate.format(Int(leaf.notValidAfter)))"
    }

    static func load(certificateFile: String, keyFile: String) throws(LedgeError) -> Loaded {
        let certificateBytes = try read(certificateFile, option: "--tls-cert", expected: "a PEM certificate file")
        let keyBytes = try read(keyFile, option: "--tls-key", expected: "a PEM private key file")
        return try parse(certificateFile: certificateFile, keyFile: keyFile, certificateBytes, keyBytes)
    }

    /// The pair in the bytes read from the two files (named in errors), checked to fit.
    static func parse(certificateFile: String, keyFile: String, _ certificateBytes: [UInt8], _ keyBytes: [UInt8]) throws(LedgeError)
        -> Loaded
    {
        let chain = (try? NIOSSLCertificate.fromPEMBytes(certificateBytes)) ?? []
        guard !chain.isEmpty else {
            throw .invalidInput("--tls-cert \(certificateFile): no PEM certificate ('-----BEGIN CERTIFICATE-----') could be read")
        }
        guard let key = try? NIOSSLPrivateKey(bytes: keyBytes, format: .pem) else {
            throw .invalidInput("--tls-key \(keyFile): no PEM private key ('-----BEGIN … PRIVATE KEY-----', unencrypted) could be read")
        }
        // BoringSSL checks that the key fits the certificate when a context is made with them.
        guard
            (try? NIOSSLContext(
                configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))) != nil
        else {
            throw .invalidInput("--tls-key \(keyFile): the key does not match the certificate in \(certificateFile)")
        }
        return Loaded(certificateBytes: certificateBytes, keyBytes: keyBytes, chain: chain, key: key)
    }

    static func read(_ path: String, option: String, expected: String) throws(LedgeError) -> [UInt8] {
        do {
            return Array(try CheckedFile.read(path, kind: option, expected: expected, code: .invalidInput))
        } catch let error as LedgeError {
            throw error
        } catch {
            throw .invalidInput("cannot read \(option) file: \(path)")
        }
    }
}
