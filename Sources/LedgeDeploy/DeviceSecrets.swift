public import LedgeFetch

/// Where a device's network safety comes from, on this machine: the fleet file's
/// `auth_token_file`, `tls_cert`, `tls_key`, `tls_ca`, `tls_client_ca`, `tls_client_cert` and
/// `tls_client_key`, else the command line's options of the same names (`--auth-token-file`, …).
/// `nil`: not given.
public struct DeviceAccess: Sendable, Hashable {
    /// A file holding the bearer token the device's server requires.
    public var tokenFile: String?
    /// The PEM certificate chain the device's server presents (HTTPS only).
    public var certificate: String?
    /// The PEM private key of ``certificate``.
    public var key: String?
    /// A PEM file of the certificates `deploy` verifies the server against (else the system's roots).
    public var trustRoots: String?
    /// Mutual TLS: a PEM file of the CAs whose client certificates the device's server accepts (it refuses others).
    public var clientCA: String?
    /// The client certificate and key `deploy`'s own checks present to such a server.
    public var clientCertificate: String?
    public var clientKey: String?

    public init(
        tokenFile: String? = nil, certificate: String? = nil, key: String? = nil, trustRoots: String? = nil, clientCA: String? = nil,
        clientCertificate: String? = nil, clientKey: String? = nil
    ) {
        self.tokenFile = tokenFile
        self.certificate = certificate
        self.key = key
        self.trustRoots = trustRoots
        self.clientCA = clientCA
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    /// Each setting of `self`, else `fallback`'s.
    public func over(_ fallback: DeviceAccess) -> DeviceAccess {
        DeviceAccess(
            tokenFile: tokenFile ?? fallback.tokenFile, certificate: certificate ?? fallback.certificate, key: key ?? fallback.key,
            trustRoots: trustRoots ?? fallback.trustRoots, clientCA: clientCA ?? fallback.clientCA,
            clientCertificate: clientCertificate ?? fallback.clientCertificate, clientKey: clientKey ?? fallback.clientKey)
    }

    /// The client certificate and key, when both are given.
    public var clientIdentity: ClientIdentity? {
        clientCertificate.flatMap { certificate in clientKey.map { ClientIdentity(certificateFile: certificate, keyFile: $0) } }
    }

    /// A certificate without its key or the other way round (the fleet file checks each device's own).
    public var pairProblem: String? {
        if (certificate == nil) != (key == nil) { return "tls_cert and tls_key go together: give both or neither" }
        if (clientCertificate == nil) != (clientKey == nil) { return "tls_client_cert and tls_client_key go together: give both or neither" }
        return nil
    }

    /// What is wrong with the combination, `nil` when nothing (`apply` checks before sending anything).
    public var problem: String? {
        if let pairProblem { return pairProblem }
        if clientCA != nil && certificate == nil { return "tls_client_ca needs tls_cert and tls_key (mutual TLS is TLS)" }
        if clientCA != nil && clientCertificate == nil {
            return "tls_client_ca needs tls_client_cert and tls_client_key: the checks of the new release present them"
        }
        return nil
    }
}

/// What a device's server is started with and checked by: its bearer token, and its TLS
/// certificate and key. They travel inside the release (`secrets/`, mode 0600 in a 0700
/// folder, never in a command line), so a changed token or certificate is a new release —
/// checked on the spare port, switched to, rolled back on failure like any other.
public struct DeviceSecrets: Sendable, Hashable {
    /// The bearer token the checks carry, unlimited (`nil`: none).
    public var token: String?
    /// The server's whole token file, when it holds more than `token` (limited tokens for the
    /// device's clients: `TOKEN inference models=detector`); `nil`: `token` alone.
    public var tokenLines: [String]?
    /// The certificate chain and key, PEM (`nil`: plain HTTP).
    public var certificate: [UInt8]?
    public var key: [UInt8]?
    /// A PEM file on this machine the checks verify the server's certificate against (`nil`: the system's roots).
    public var trustRoots: String?
    /// Mutual TLS: the PEM CA certificates the server accepts client certificates from (shipped in the release).
    public var clientCA: [UInt8]?
    /// The client certificate and key files (on this machine) the checks present.
    public var clientIdentity: ClientIdentity?
    /// A release on a device that serves HTTPS: its certificate is there, not here (`status`, `rollback`).
    var servesHTTPSOnDevice = false
    /// A release on a device that asks for client certificates (`status`, `rollback`).
    var asksClientCertificateOnDevice = false

    public init(
        token: String? = nil, certificate: [UInt8]? = nil, key: [UInt8]? = nil, trustRoots: String? = nil, clientCA: [UInt8]? = nil,
        clientIdentity: ClientIdentity? = nil
    ) {
        self.token = token
        self.certificate = certificate
        self.key = key
        self.trustRoots = trustRoots
        self.clientCA = clientCA
        self.clientIdentity = clientIdentity
    }

    /// `https` when the server has a certificate, else `http`.
    public var scheme: String { certificate != nil || servesHTTPSOnDevice ? "https" : "http" }

    /// The `Authorization` header of every check, when there is a token.
    var headers: [(String, String)] { token.map { [("Authorization", "Bearer " + $0)] } ?? [] }

    /// The release folder's files: `secrets/auth-token`, `secrets/tls.crt`, `secrets/tls.key`, `secrets/client-ca.pem`.
    var files: [(path: String, bytes: [UInt8])] {
        var files: [(path: String, bytes: [UInt8])] = []
        if let token { files.append((DeviceRelease.tokenPath, Array(((tokenLines ?? [token]).joined(separator: "\n") + "\n").utf8))) }
        if let certificate, let key {
            files.append((DeviceRelease.certificatePath, certificate))
            files.append((DeviceRelease.keyPath, key))
        }
        if let clientCA { files.append((DeviceRelease.clientCAPath, clientCA)) }
        return files
    }
}
