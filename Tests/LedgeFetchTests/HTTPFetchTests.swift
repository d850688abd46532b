import Foundation
import LedgeCore
import LedgeFetch
import LedgeTesting
import Testing

/// Downloads from a loopback server: the cache, pins, errors, resume after a cut, redirects.
@Suite struct HTTPFetchTests {
    @Test func pinnedDownloadIsCachedAndServedWithoutNetwork() async throws {
        try await withFetchFixture { fixture in
            let sha = try fixture.sha256("mobilenet_gen.onnx")
            let uri = fixture.url("/files/mobilenet_gen.onnx") + "#sha256=" + sha
            let first = try await fixture.fetcher().fetch(uri)
            let expectedPath = fixture.cache + "/sha256/\(sha)/mobilenet_gen.onnx"
            #expect(first == FetchedModel(path: expectedPath, sha256: sha, fromCache: false))
            #expect(FetchFixture.contents(first.path) == FetchFixture.contents(fixture.served + "/mobilenet_gen.onnx"))
            #expect(fixture.server.requests() == ["GET /files/mobilenet_gen.onnx -"])
            #expect(try first.modelFiles().map { "\($0.path) \($0.name ?? "-")" } == [expectedPath + " -"])
            #expect(fixture.partials().isEmpty)

            let second = try await fixture.fetcher().fetch(uri)
            #expect(second == FetchedModel(path: expectedPath, sha256: sha, fromCache: true))
            #expect(fixture.server.requests().count == 1)

            // Unpinned, the URI is fetched again; the content lands on the same entry.
            let unpinned = try await fixture.fetcher().fetch(fixture.url("/files/mobilenet_gen.onnx"))
            #expect(unpinned == FetchedModel(path: expectedPath, sha256: sha, fromCache: false))
            #expect(fixture.server.requests().count == 2)
            #expect(fixture.cacheEntries() == ["sha256/\(sha)", "sha256/\(sha)/mobilenet_gen.onnx"])
        }
    }

    @Test func notFoundLeavesNothing() async throws {
        try await withFetchFixture { fixture in
            let uri = fixture.url("/missing/m.onnx")
            await #expect(throws: LedgeError(.notFound, "\(uri): HTTP 404 Not Found")) { try await fixture.fetcher().fetch(uri) }
            #expect(fixture.cacheEntries().isEmpty)
            #expect(fixture.partials().isEmpty)
        }
    }

    @Test func wrongPinLeavesNothing() async throws {
        try await withFetchFixture { fixture in
            let sha = try fixture.sha256("mobilenet_gen.onnx")
            let wrong = String(repeating: "0", count: 64)
            let uri = fixture.url("/files/mobilenet_gen.onnx")
            await #expect(throws: LedgeError.invalidInput("\(uri): sha256 is \(sha), expected \(wrong) (the #sha256= pin)")) {
                try await fixture.fetcher().fetch(uri + "#sha256=" + wrong)
            }
            #expect(fixture.cacheEntries().isEmpty)
            #expect(fixture.partials().isEmpty)
        }
    }

    @Test func cutDownloadResumesWithARangeRequest() async throws {
        try await withFetchFixture { fixture in
            let name = "efficientnet_lite0.tflite"
            let size = FetchFixture.size(fixture.served + "/" + name)
            let uri = fixture.url("/cut/" + name)
            let message = "\(uri): the connection closed after \(size / 2) of \(size) bytes (a new fetch resumes from there)"
            await #expect(throws: LedgeError(.remoteFailure, message)) { try await fixture.fetcher { $0.download.retries = 0 }.fetch(uri) }
            #expect(fixture.server.cuts() == ["/cut/\(name) after \(size / 2) bytes"])
            #expect(fixture.cacheEntries().isEmpty)
            #expect(Array(fixture.partials().values) == [size / 2])

            let sha = try fixture.sha256(name)
            let fetched = try await fixture.fetcher().fetch(uri + "#sha256=" + sha)
            #expect(fetched == FetchedModel(path: fixture.cache + "/sha256/\(sha)/\(name)", sha256: sha, fromCache: false))
            #expect(fixture.server.requests() == ["GET /cut/\(name) -", "GET /cut/\(name) bytes=\(size / 2)-"])
            #expect(FetchFixture.contents(fetched.path) == FetchFixture.contents(fixture.served + "/" + name))
            #expect(fixture.partials().isEmpty)
        }
    }

    /// By default a fetch tries again by itself (`DownloadLimits.retries`): a cut resumes with a
    /// Range request in the same fetch, 503s are waited out (their Retry-After: 0), a warning
    /// each; past the retries the last answer is the error.
    @Test func transientFailuresAreTriedAgainWithinOneFetch() async throws {
        try await withFetchFixture { fixture in
            let name = "efficientnet_lite0.tflite"
            let size = FetchFixture.size(fixture.served + "/" + name)
            let sha = try fixture.sha256(name)
            let capture = LogCapture()
            let logged = ModelFetcher(options: FetchOptions(cacheDirectory: fixture.cache), logger: capture.logger())
            let cut = fixture.url("/cut/" + name)
            #expect(try await logged.fetch(cut).sha256 == sha)
            #expect(fixture.server.requests() == ["GET /cut/\(name) -", "GET /cut/\(name) bytes=\(size / 2)-"])
            let warnings = capture.messages.filter { $0.contains("trying again") }
            #expect(
                warnings == ["\(cut): the connection closed after \(size / 2) of \(size) bytes (a new fetch resumes from there); trying again in 1 s"]
            )

            let busy = fixture.url("/busy/2/mobilenet_gen.onnx")
            #expect(try await fixture.fetcher().fetch(busy).sha256 == (try fixture.sha256("mobilenet_gen.onnx")))
            #expect(fixture.server.requests().filter { $0.hasPrefix("GET /busy/") }.count == 3)
            let refused = fixture.url("/busy/3/" + name)
            await #expect(throws: LedgeError(.remoteFailure, "\(refused): HTTP 503 Service Unavailable")) {
                try await fixture.fetcher { $0.download.retries = 2 }.fetch(refused)
            }
            #expect(fixture.server.requests().filter { $0.hasPrefix("GET /busy/3/") }.count == 3)
            #expect(fixture.partials().isEmpty)
        }
    }

    @Test func redirectsAreFollowedWithinTheLimit() async throws {
        try await withFetchFixture { fixture in
            let sha = try fixture.sha256("efficientnet_lite0.tflite")
            let fetched = try await fixture.fetcher().fetch(fixture.url("/redirect/2/efficientnet_lite0.tflite"))
            #expect(fetched.sha256 == sha)
            #expect(fetched.path == fixture.cache + "/sha256/\(sha)/efficientnet_lite0.tflite")
            #expect(
                fixture.server.requests() == [
                    "GET /redirect/2/efficientnet_lite0.tflite -", "GET /redirect/1/efficientnet_lite0.tflite -",
                    "GET /redirect/0/efficientnet_lite0.tflite -", "GET /files/efficientnet_lite0.tflite -",
                ])

            let uri = fixture.url("/redirect/3/efficientnet_lite0.tflite")
            await #expect(throws: LedgeError(.remoteFailure, "\(uri): more than 2 redirects")) {
                try await fixture.fetcher { $0.download.maxRedirects = 2 }.fetch(uri)
            }
            #expect(fixture.partials().isEmpty)
        }
    }

    @Test func downloadSizeLimit() async throws {
        try await withFetchFixture { fixture in
            let uri = fixture.url("/files/efficientnet_lite0.tflite")
            await #expect(throws: LedgeError(.tooLarge, "\(uri): larger than the limit of 1048576 bytes")) {
                try await fixture.fetcher { $0.download.maxBytes = 1 << 20 }.fetch(uri)
            }
            #expect(fixture.cacheEntries().isEmpty)
            #expect(fixture.partials().isEmpty)
        }
    }

    /// An answer longer than `maxResponseBytes` fails the request instead of filling memory.
    @Test func answersPastTheBoundAreRefused() async throws {
        try await withFetchFixture { fixture in
            let url = fixture.url("/files/mobilenet_gen.onnx")
            var client = HTTPClient(timeLimit: 60)
            client.maxResponseBytes = 100_000
            do {
                _ = try await client.send("GET", url)
                Issue.record("a 100,000-byte bound let the model through")
            } catch let error as LedgeError {
                #expect(error.message == "GET \(url) failed: the answer is longer than 100000 bytes")
            }
            client.maxResponseBytes = nil
            let whole = try await client.send("GET", url)
            #expect(whole.status == 200 && whole.body.count == FetchFixture.contents(fixture.served + "/mobilenet_gen.onnx")?.count)
        }
    }

    @Test func connectionRefused() async throws {
        try await withFetchFixture { fixture in
            let port = fixture.server.baseURL.split(separator: ":").last!
            fixture.server.stop()
            let uri = "http://127.0.0.1:\(port)/files/m.onnx"
            await #expect(throws: LedgeError(.remoteFailure, "\(uri): connection refused")) {
                try await fixture.fetcher { $0.download.retries = 0 }.fetch(uri)
            }
            #expect(fixture.partials().isEmpty)
        }
    }
}

extension HTTPFetchTests {
    @Test func stalledDownloadHitsTheIdleLimit() async throws {
        try await withFetchFixture { fixture in
            let name = "efficientnet_lite0.tflite"
            let size = FetchFixture.size(fixture.served + "/" + name)
            let uri = fixture.url("/stall/" + name)
            await #expect(throws: LedgeError(.timedOut, "\(uri): no data for 3 s")) {
                try await fixture.fetcher {
                    $0.download.idleTimeout = 3
                    $0.download.retries = 0
                }.fetch(uri)
            }
            // What arrived before the stall (all of the first half, unless the machine was too
            // busy to serve it within the limit) stays for a resume.
            #expect(fixture.partials().values.allSatisfy { $0 > 0 && $0 <= size / 2 })
            #expect(fixture.cacheEntries().isEmpty)
        }
    }
}
