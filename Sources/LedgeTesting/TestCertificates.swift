internal import Foundation

/// A test CA, a server certificate it signed (EC P-256, `subjectAltName` the given loopback
/// addresses and localhost, valid two days) and a client certificate it signed (for mutual TLS),
/// plus a second key that fits no certificate: made with Debian's `openssl` in a temporary folder
/// that is removed with this value.
public struct TestCertificates: ~Copyable {
    public let folder: String
    public var ca: String { folder + "/ca.pem" }
    public var certificate: String { folder + "/server.pem" }
    public var key: String { folder + "/server.key" }
    public var otherKey: String { folder + "/other.key" }
    /// A client certificate (`CN=ledge-test-client`, extendedKeyUsage clientAuth) and its key.
    public var clientCertificate: String { folder + "/client.pem" }
    public var clientKey: String { folder + "/client.key" }

    /// Certificates for a server at `addresses` (IP `subjectAltName`s); the server certificate
    /// gets serial number `serial` (a client sees which certificate it was served).
    public init(addresses: [String] = ["127.0.0.1"], serial: Int = 1) throws {
        let openssl = "/usr/bin/openssl"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-tls-\(UUID().uuidString)").path
        self.folder = folder
        guard FileManager.default.isExecutableFile(atPath: openssl) else {
            throw CertificateError(message: "\(openssl) not found: install the Debian package 'openssl' (make setup does)")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let extensions = [
            "subjectAltName=" + (addresses.map { "IP:" + $0 } + ["DNS:localhost"]).joined(separator: ","), "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth", "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid,issuer",
        ]
        try extensions.joined(separator: "\n").write(toFile: folder + "/server.ext", atomically: true, encoding: .utf8)
        try "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n".write(
            toFile: folder + "/client.ext", atomically: true, encoding: .utf8)
        for arguments in [
            ["req", "-x509"] + newKey + [
                "-keyout", folder + "/ca.key", "-out", folder + "/ca.pem", "-days", "2", "-subj", "/CN=ledge-test-ca",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ],
            ["req", "-new"] + newKey + ["-keyout", folder + "/server.key", "-out", folder + "/server.csr", "-subj", "/CN=localhost"],
            [
                "x509", "-req", "-in", folder + "/server.csr", "-CA", folder + "/ca.pem", "-CAkey", folder + "/ca.key",
                "-set_serial", String(serial), "-days", "2", "-out", folder + "/server.pem", "-extfile", folder + "/server.ext",
            ],
            ["req", "-new"] + newKey + ["-keyout", folder + "/client.key", "-out", folder + "/client.csr", "-subj", "/CN=ledge-test-client"],
            [
                "x509", "-req", "-in", folder + "/client.csr", "-CA", folder + "/ca.pem", "-CAkey", folder + "/ca.key",
                "-set_serial", "2", "-days", "2", "-out", folder + "/client.pem", "-extfile", folder + "/client.ext",
            ],
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", folder + "/other.key"],
        ] {
            let result = try ProcessRunner.run(openssl, arguments, timeLimit: 60)
            guard result.status == 0 else {
                try? FileManager.default.removeItem(atPath: folder)
                throw CertificateError(message: "openssl \(arguments[0]) failed: \(result.stderr)")
            }
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    public struct CertificateError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
