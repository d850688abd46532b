import Foundation
import LedgeCore
import LedgeFetch
import Testing

/// Which proxy a URL goes through, from curl's variables.
@Suite struct ProxySettingsTests {
    static let https = RequestURL("https://models.example.com/m.onnx")!
    static let http = RequestURL("http://10.0.0.5:8080/m.onnx")!

    @Test func variablesPerScheme() throws {
        let settings = try ProxySettings.from(environment: [
            "HTTPS_PROXY": "http://alice:p%40ss@proxy.corp:3128/", "http_proxy": "proxy.corp:8080", "HTTP_PROXY": "http://ignored:1",
        ])
        #expect(settings.proxy(for: Self.https)?.description == "proxy.corp:3128")
        #expect(settings.proxy(for: Self.https)?.authorization == "Basic " + Data("alice:p@ss".utf8).base64EncodedString())
        #expect(settings.proxy(for: Self.http)?.description == "proxy.corp:8080")
        // Upper-case HTTP_PROXY alone is not read (curl's rule); ALL_PROXY covers both schemes.
        #expect(try ProxySettings.from(environment: ["HTTP_PROXY": "http://p:1"]).proxy(for: Self.http) == nil)
        let all = try ProxySettings.from(environment: ["ALL_PROXY": "http://p:1"])
        #expect(all.proxy(for: Self.http)?.port == 1 && all.proxy(for: Self.https)?.port == 1)
        #expect(try ProxySettings.from(environment: [:]).proxy(for: Self.https) == nil)
    }

    @Test func noProxyNamesAndAddresses() throws {
        let settings = try ProxySettings.from(environment: [
            "https_proxy": "http://p:3128", "http_proxy": "http://p:3128", "NO_PROXY": " .example.com, 10.0.0.5,*.internal,[::1]",
        ])
        #expect(settings.proxy(for: Self.https) == nil)  // a name below example.com
        #expect(settings.proxy(for: RequestURL("https://example.com/")!) == nil)
        #expect(settings.proxy(for: RequestURL("https://notexample.com/")!) != nil)
        #expect(settings.proxy(for: Self.http) == nil)  // the address itself
        #expect(settings.proxy(for: RequestURL("http://110.0.0.5/")!) != nil)
        #expect(settings.proxy(for: RequestURL("https://s3.internal/")!) == nil)
        #expect(settings.proxy(for: RequestURL("http://[::1]:9/")!) == nil)
        #expect(try ProxySettings.from(environment: ["https_proxy": "http://p:1", "no_proxy": "*"]).proxy(for: Self.https) == nil)
    }

    @Test func unusableProxiesAreNamed() {
        #expect(
            throws: LedgeError.usage("https_proxy='https://p:3128': expected http://[USER:PASSWORD@]HOST:PORT (only http proxies are supported)")
        ) { try ProxySettings.from(environment: ["https_proxy": "https://p:3128"]) }
        #expect(throws: LedgeError.usage("HTTPS_PROXY='http://p:99999': expected http://[USER:PASSWORD@]HOST:PORT")) {
            try ProxySettings.from(environment: ["HTTPS_PROXY": "http://p:99999"])
        }
    }
}
