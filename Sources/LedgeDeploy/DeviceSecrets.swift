/// Where a device's network safety comes from, on this machine: the fleet file's
/// `auth_token_file`, `tls_cert`, `tls_key` and `tls_ca`, else the command line's
/// `--auth-token-file`, `--tls-cert`, `--tls-key` and `--tls-ca`. `nil`: not given.
public struct DeviceAccess: Sendable, Hashable {
    /// A file holding the bearer token the device's server requires.
    public var tokenFile: String?
    /// The PEM certificate chain the device's server presents (HTTPS only).
    public var certificate: String?
    /// The PEM private key of ``certificate``.
    public var key: String?
    /// A PEM file of the certificates `deploy` verifies the server against (else the system's roots).
    public var trustRoots: String?

    public init(tokenFile: String? = nil, certificate: String? = nil, key: String? = nil, trustRoots: String? = nil) {
        self.tokenFile = tokenFile
        self.certificate = certificate
        self.key = key
        self.trustRoots = trustRoots
    }

    /// Each setting of `self`, else `fallback`'s.
    public func over(_ fallback: DeviceAccess) -> DeviceAccess {
        DeviceAccess(
            tokenFile: tokenFile ?? fallback.tokenFile, certificate: certificate ?? fallback.certificate, key: key ?? fallback.key,
            trustRoots: trustRoots ?? fallback.trustRoots)
    }
}

/// What a device's server is started with and checked by: its bearer token, and its TLS
/// certificate and key. They travel inside the release (`secrets/`, mode 0600 in a 0700
/// folder, never in a command line), so a changed token or certificate is a new release —
/// checked on the spare port, switched to, rolled back on failure like any other.
public struct DeviceSecrets: Sendable, Hashable {
    /// The bearer token every request must carry (`nil`: none).
    public var token: String?
    /// The certificate chain and key, PEM (`nil`: plain HTTP).
    public var certificate: [UInt8]?
    public var key: [UInt8]?
    /// A PEM file on this machine the checks verify the server's certificate against (`nil`: the system's roots).
    public var trustRoots: String?
    /// A release on a device that serves HTTPS: its certificate is there, not here (`status`, `rollback`).
    var servesHTTPSOnDevice = false

    public init(token: String? = nil, certificate: [UInt8]? = nil, key: [UInt8]? = nil, trustRoots: String? = nil) {
        self.token = token
        self.certificate = certificate
        self.key = key
        self.trustRoots = trustRoots
    }

    /// `https` when the server has a certificate, else `http`.
    public var scheme: String { certificate != nil || servesHTTPSOnDevice ? "https" : "http" }

    /// The `Authorization` header of every check, when there is a token.
    var headers: [(String, String)] { token.map { [("Authorization", "Bearer " + $0)] } ?? [] }

    /// The release folder's files: `secrets/auth-token`, `secrets/tls.crt`, `secrets/tls.key`.
    var files: [(path: String, bytes: [UInt8])] {
        var files: [(path: String, bytes: [UInt8])] = []
        if let token { files.append((DeviceRelease.tokenPath, Array((token + "\n").utf8))) }
        if let certificate, let key {
            files.append((DeviceRelease.certificatePath, certificate))
            files.append((DeviceRelease.keyPath, key))
        }
        return files
    }
}
