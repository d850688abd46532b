import Foundation
import LedgeCore
import LedgeFetch
import LedgeTesting
import Testing

/// Archives served over HTTP (built by `make_fetch_archives.py`): good ones unpack into
/// `sha256/<hex>.d/`, hostile ones are refused and leave nothing in the cache.
@Suite struct ArchiveFetchTests {
    static let long = "mobilenet/" + String(repeating: "a-rather-long-folder-name/", count: 5) + "notes.txt"

    @Test(arguments: ["good.tar.gz", "good.zip", "gnu.tar"])
    func goodArchivesUnpack(name: String) async throws {
        try await withFetchFixture(archives: true) { fixture in
            let sha = try fixture.sha256(name)
            let uri = fixture.url("/files/" + name) + "#sha256=" + sha
            let fetched = try await fixture.fetcher().fetch(uri)
            #expect(fetched == FetchedModel(path: fixture.cache + "/sha256/\(sha).d", sha256: sha, fromCache: false))
            let model = FetchFixture.contents(fetched.path + "/mobilenet/1/model.onnx")
            #expect(model != nil && model == FetchFixture.contents(fixture.served + "/mobilenet_gen.onnx"))
            if name != "gnu.tar" {
                #expect(FetchFixture.contents(fetched.path + "/mobilenet/labels.txt") == Data("cat\ndog\n".utf8))
            }
            if name != "good.zip" {
                #expect(FetchFixture.contents(fetched.path + "/" + Self.long) == Data("long\n".utf8))
            }
            #expect(try fetched.modelFiles().map { "\($0.path) \($0.name ?? "-")" } == ["\(fetched.path)/mobilenet/1/model.onnx mobilenet"])
            #expect(fixture.partials().isEmpty)
            #expect(!fixture.cacheEntries().contains { $0.hasPrefix("staging/") })

            let again = try await fixture.fetcher().fetch(uri)
            #expect(again == FetchedModel(path: fetched.path, sha256: sha, fromCache: true))
            #expect(fixture.server.requests().count == 1)
        }
    }

    /// Archive, fault, error code, `maxUnpackedBytes`.
    static let hostile: [(String, String, LedgeError.Code, Int64)] = [
        ("slip.tar.gz", "entry '../evil' escapes the folder", .invalidInput, 4 << 30),
        ("slip.zip", "entry '../evil' escapes the folder", .invalidInput, 4 << 30),
        ("symlink.tar.gz", "entry 'mobilenet/link' is a symbolic link (only files and folders are unpacked)", .invalidInput, 4 << 30),
        ("symlink.zip", "entry 'mobilenet/link' is a symbolic link (only files and folders are unpacked)", .invalidInput, 4 << 30),
        ("absolute.tar", "entry '/tmp/evil' is an absolute path", .invalidInput, 4 << 30),
        ("hardlink.tar", "entry 'mobilenet/copy' is a hard link (only files and folders are unpacked)", .invalidInput, 4 << 30),
        ("big.tar.gz", "unpacks to more than 1048576 bytes (the limit)", .tooLarge, 1 << 20),
        ("liar.zip", "entry 'zeros.bin' inflates to more than its declared 1000 bytes", .invalidInput, 1 << 20),
    ]

    @Test(arguments: hostile)
    func hostileArchivesAreRefused(name: String, fault: String, code: LedgeError.Code, limit: Int64) async throws {
        try await withFetchFixture(archives: true) { fixture in
            let uri = fixture.url("/files/" + name)
            await #expect(throws: LedgeError(code, "archive \(uri): \(fault)")) {
                try await fixture.fetcher { $0.maxUnpackedBytes = limit }.fetch(uri)
            }
            #expect(fixture.cacheEntries().isEmpty)
            #expect(fixture.partials().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: fixture.cache + "/evil"))
            #expect(!FileManager.default.fileExists(atPath: fixture.cache + "/staging/evil"))
        }
    }

    @Test func entryCountLimit() async throws {
        try await withFetchFixture(archives: true) { fixture in
            let uri = fixture.url("/files/good.tar.gz")
            await #expect(throws: LedgeError(.tooLarge, "archive \(uri): has more than 3 entries (the limit)")) {
                try await fixture.fetcher { $0.maxEntries = 3 }.fetch(uri)
            }
            let zip = fixture.url("/files/good.zip")
            await #expect(throws: LedgeError(.tooLarge, "archive \(zip): has more than 2 entries (the limit)")) {
                try await fixture.fetcher { $0.maxEntries = 2 }.fetch(zip)
            }
            #expect(fixture.cacheEntries().isEmpty)
        }
    }

    @Test func localArchiveUnpacksIntoTheCache() async throws {
        try await withFetchFixture(archives: true) { fixture in
            let path = fixture.served + "/good.zip"
            let fetched = try await fixture.fetcher().fetch("file://" + path)
            #expect(fetched.path == fixture.cache + "/sha256/\(try fixture.sha256("good.zip")).d")
            #expect(FetchFixture.contents(fetched.path + "/mobilenet/1/model.onnx") == FetchFixture.contents(fixture.served + "/mobilenet_gen.onnx"))
            #expect(fixture.server.requests().isEmpty)
        }
    }
}
