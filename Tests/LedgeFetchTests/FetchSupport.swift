import Foundation
import LedgeCore
import LedgeFetch
import LedgeRelease
import LedgeTesting
import Logging

/// A temporary folder with `served/` (fixture models, and the test archives when asked) behind
/// a loopback ``FixtureHTTPServer``, and an empty `cache/`.
struct FetchFixture {
    let root: String
    let server: FixtureHTTPServer

    var served: String { root + "/served" }
    var cache: String { root + "/cache" }

    /// The served URL of `path` (`/files/m.onnx`, `/cut/m.onnx`, …).
    func url(_ path: String) -> String { server.baseURL + path }

    /// A fetcher with the cache in this fixture and `configure`'s changes.
    func fetcher(_ configure: (inout FetchOptions) -> Void = { _ in }) -> ModelFetcher {
        var options = FetchOptions(cacheDirectory: cache)
        configure(&options)
        return ModelFetcher(options: options, logger: Logger(label: "fetch-test") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Every path under `sha256/` and `staging/` (relative to the cache), sorted.
    func cacheEntries() -> [String] {
        ["sha256", "staging"].flatMap { folder in
            (FileManager.default.subpaths(atPath: cache + "/" + folder) ?? []).map { folder + "/" + $0 }
        }.sorted()
    }

    /// The files in `partial/` with their sizes.
    func partials() -> [String: Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cache + "/partial")) ?? []
        return Dictionary(uniqueKeysWithValues: names.map { ($0, Self.size(cache + "/partial/" + $0)) })
    }

    /// The sha256 of a served file.
    func sha256(_ name: String) throws -> String { try ContentDigest.sha256(file: served + "/" + name).digest }

    static func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1 }

    static func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
}

/// Runs `body` with a new ``FetchFixture`` serving copies of the two fixture models (and the
/// archives of `make_fetch_archives.py` with `archives`), and removes everything afterwards.
func withFetchFixture<T>(
    archives: Bool = false, isolation: isolated (any Actor)? = #isolation, _ body: (FetchFixture) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory(prefix: "ledge-fetch") { root in
        let served = root + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        for model in ["mobilenet_gen.onnx", "efficientnet_lite0.tflite"] {
            try FileManager.default.copyItem(atPath: Fixtures.model(model), toPath: served + "/" + model)
        }
        if archives { try await FixtureHTTPServer.makeArchives(in: served, model: Fixtures.model("mobilenet_gen.onnx")) }
        return try await FixtureHTTPServer.withServer(root: served) { server in
            try await body(FetchFixture(root: root, server: server))
        }
    }
}

/// Copies fixture `model` to `path` (replacing what is there, making its folders): an object put in a test's bucket.
func putModel(_ model: String, at path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.copyItem(atPath: Fixtures.model(model), toPath: path)
}
