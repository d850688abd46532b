import LedgeCore
import LedgeFetch
import LedgeTesting
import Logging
import Testing

@Suite struct ModelURITests {
    @Test func parsesSchemesPinsAndFileNames() throws {
        let pin = String(repeating: "AB", count: 32)
        let remote = try ModelURI(parsing: "https://example.com/models/b%20c.onnx?x=1#sha256=" + pin)
        #expect(remote.location == .remote("https://example.com/models/b%20c.onnx?x=1"))
        #expect(remote.pin == pin.lowercased())
        #expect(remote.fileName == "b c.onnx")
        #expect(remote.description == "https://example.com/models/b%20c.onnx?x=1")
        #expect(try ModelURI(parsing: "http://127.0.0.1:8080/").fileName == "model")
        let local = try ModelURI(parsing: "file:///srv/my%20models/m.tflite")
        #expect(local.location == .file("/srv/my models/m.tflite"))
        #expect(local.pin == nil)
        #expect(local.fileName == "m.tflite")
    }

    @Test(arguments: [
        (
            "ftp://host/m.onnx",
            "model URI 'ftp://host/m.onnx': expected https://, http://, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO/PATH or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>"
        ),
        (
            "models/m.onnx",
            "model URI 'models/m.onnx': expected https://, http://, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO/PATH or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>"
        ),
        ("file://relative/m.onnx", "model URI 'file://relative/m.onnx': expected file:///ABSOLUTE/PATH"),
        ("file:///bad%zz.onnx", "model URI 'file:///bad%zz.onnx': expected file:///ABSOLUTE/PATH"),
        ("http://:80/m.onnx", "model URI 'http://:80/m.onnx': expected http(s)://HOST[:PORT]/PATH"),
        ("https://h/m.onnx#sha256=abc", "model URI 'https://h/m.onnx#sha256=abc': expected the fragment #sha256=<64 hex digits>, got '#sha256=abc'"),
        ("https://h/m.onnx#md5=00", "model URI 'https://h/m.onnx#md5=00': expected the fragment #sha256=<64 hex digits>, got '#md5=00'"),
    ])
    func refusesMalformedURIs(uri: String, message: String) async throws {
        #expect(throws: LedgeError.usage(message)) { try ModelURI(parsing: uri) }
        let fetcher = ModelFetcher(options: FetchOptions(cacheDirectory: "/nonexistent/ledge-cache"), logger: .init(label: "t"))
        await #expect(throws: LedgeError.usage(message)) { try await fetcher.fetch(uri) }
    }

    @Test func defaultCacheFolder() {
        #expect(FetchOptions.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]) == "/x/cache/ledge/models")
        #expect(FetchOptions.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.cache/ledge/models")
    }

    @Test func resolvesRedirectLocations() {
        let base = RequestURL("http://127.0.0.1:9000/a/b/c.onnx?x=1")!
        #expect(base.resolving("d.onnx")?.text == "http://127.0.0.1:9000/a/b/d.onnx")
        #expect(base.resolving("/e/f")?.text == "http://127.0.0.1:9000/e/f")
        #expect(base.resolving("//other:81/g")?.text == "http://other:81/g")
        #expect(base.resolving("https://h/i")?.text == "https://h/i")
        #expect(base.resolving("") == nil)
    }

    @Test func localFiles() async throws {
        try await withTemporaryDirectory(prefix: "ledge-fetch-local") { root in
            let model = Fixtures.model("efficientnet_lite0.tflite")
            let fetcher = ModelFetcher(options: FetchOptions(cacheDirectory: root + "/cache"), logger: .init(label: "t"))
            let fetched = try await fetcher.fetch("file://" + model)
            #expect(fetched.path == model)
            #expect(fetched.sha256.count == 64)
            #expect(!fetched.fromCache)
            let pinned = try await fetcher.fetch("file://" + model + "#sha256=" + fetched.sha256)
            #expect(pinned == fetched)
            let wrong = String(repeating: "0", count: 64)
            await #expect(throws: LedgeError.invalidInput("file://\(model): sha256 is \(fetched.sha256), expected \(wrong) (the #sha256= pin)")) {
                try await fetcher.fetch("file://" + model + "#sha256=" + wrong)
            }
            await #expect(throws: LedgeError.notFound("file://\(root)/none.onnx: no such file")) {
                try await fetcher.fetch("file://\(root)/none.onnx")
            }
        }
    }
}
