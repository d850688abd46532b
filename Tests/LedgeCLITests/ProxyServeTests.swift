import Foundation
import LedgeTesting
import Testing

/// Model URIs through a real HTTP proxy (tinyproxy on loopback), as a company network has one:
/// https through a `CONNECT` tunnel (TLS end to end, verified against the test CA), http as
/// absolute-form requests, `no_proxy` going direct, and a proxy that wants credentials.
@Suite(.ownThread) struct ProxyServeTests {
    @Test func modelURIsGoThroughTheProxyTheEnvironmentNames() async throws {
        let folder = try TemporaryFolder()
        let certificates = try TestCertificates()
        let models = (Fixtures.model("add.onnx") as NSString).deletingLastPathComponent
        try await FixtureHTTPServer.withServer(root: models, tls: (certificates.certificate, certificates.key)) { secure in
            try await FixtureHTTPServer.withServer(root: models) { plain in
                try await ProxyProcess.withProxy(credentials: ("ledge", "s3cret")) { proxy in
                    let https = secure.baseURL + "/files/add.onnx"
                    let http = plain.baseURL + "/files/add.onnx"
                    func serve(_ uri: String, _ environment: [String: String], cache: String) async throws {
                        let server = try await ServeProcess.start(
                            ["--model-uri", uri, "--model-cache", folder.path + "/" + cache, "--probe-cache", "none"],
                            environment: environment.merging(["SSL_CERT_FILE": certificates.ca, "no_proxy": "", "NO_PROXY": ""]) { mine, _ in mine })
                        #expect(try RepositoryIndex.fetchAll(port: server.port)["add"]?.state == "READY")
                        try await server.terminate()
                    }
                    let port = URL(string: https)!.port!
                    try await serve(https, ["https_proxy": proxy.url(user: "ledge", password: "s3cret")], cache: "a")
                    #expect(proxy.requests() == ["CONNECT 127.0.0.1:\(port) HTTP/1.1"])
                    #expect(secure.requests() == ["GET /files/add.onnx -"])  // through the tunnel, to the server itself
                    try await serve(http, ["http_proxy": proxy.url(user: "ledge", password: "s3cret")], cache: "b")
                    #expect(proxy.requests().last == "GET \(http) HTTP/1.1")
                    #expect(plain.requests() == ["GET /files/add.onnx -"])
                    // no_proxy: straight to the server, the proxy asked nothing more.
                    try await serve(https, ["https_proxy": proxy.url(user: "ledge", password: "s3cret"), "no_proxy": "127.0.0.1"], cache: "c")
                    #expect(proxy.requests().count == 2)
                    #expect(secure.requests().count == 2)
                    // Without the proxy's credentials: refused in one line, at once (no retry changes it).
                    let refused = try ProcessRunner.ledge(
                        ["serve", "--port", "0", "--model-uri", https, "--model-cache", folder.path + "/d", "--probe-cache", "none"],
                        environment: ["https_proxy": proxy.url(), "SSL_CERT_FILE": certificates.ca, "no_proxy": "", "NO_PROXY": ""])
                    #expect(refused.status == 4)
                    #expect(!refused.stderr.contains("trying again"), "\(refused.stderr)")
                    #expect(
                        refused.stderr.split(separator: "\n").last.map(String.init)
                            == "error: \(https): proxy 127.0.0.1:\(proxy.port): 407 Proxy Authentication Required: expected the user and password in the proxy variable (http://USER:PASSWORD@HOST:PORT)",
                        "\(refused.stderr)")
                }
            }
        }
    }
}
