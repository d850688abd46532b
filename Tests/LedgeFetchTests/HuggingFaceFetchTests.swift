import Foundation
import LedgeCore
import LedgeFetch
import LedgeRelease
import LedgeTesting
import Testing

/// `hf://OWNER/REPO[@REVISION]/PATH` against a loopback Hub (`scripts/fixture_http_server.py`'s
/// `/hub/`: the resolve URL, a 302 to its CDN, a gated repository, the Hub's error headers).
@Suite struct HuggingFaceFetchTests {
    /// A Hub with `vision/adder` (revisions `main` and `v1`) and the gated `acme/private` (token `hf_test_token`).
    func withHub(_ body: (FetchFixture) async throws -> Void) async throws {
        try await withTemporaryDirectory(prefix: "ledge-hf") { root in
            let hub = root + "/served/hub"
            for folder in ["vision/adder/main/onnx", "vision/adder/v1", "acme/private/main"] {
                try FileManager.default.createDirectory(atPath: hub + "/" + folder, withIntermediateDirectories: true)
            }
            try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: hub + "/vision/adder/main/onnx/model.onnx")
            try FileManager.default.copyItem(atPath: Fixtures.model("mobilenet_gen.onnx"), toPath: hub + "/vision/adder/v1/model.onnx")
            try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: hub + "/acme/private/main/model.onnx")
            try "hf_test_token\n".write(toFile: hub + "/acme/private/.gated", atomically: true, encoding: .utf8)
            // An export in the Hub's layout (config files on top, models in onnx/), and a repository of two models.
            let export = Fixtures.huggingFace("convnext/")
            for folder in ["vision/cats/main/onnx", "vision/many/main"] {
                try FileManager.default.createDirectory(atPath: hub + "/" + folder, withIntermediateDirectories: true)
            }
            for (from, to) in [
                (export + "onnx/model.onnx", "onnx/model.onnx"), (Fixtures.model("add.onnx"), "onnx/model_quantized.onnx"),
                (export + "config.json", "config.json"), (export + "preprocessor_config.json", "preprocessor_config.json"),
                (Fixtures.model("add.onnx"), "README.md"),
            ] {
                try FileManager.default.copyItem(atPath: from, toPath: hub + "/vision/cats/main/" + to)
            }
            for name in ["a.onnx", "b.tflite"] {
                try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: hub + "/vision/many/main/" + name)
            }
            try await FixtureHTTPServer.withServer(root: root + "/served") { server in
                try await body(FetchFixture(root: root, server: server))
            }
        }
    }

    func hub(_ fixture: FetchFixture, token: String? = nil) -> HuggingFaceSettings {
        HuggingFaceSettings(environment: ["HF_ENDPOINT": fixture.url("/hub/"), "HF_TOKEN": token ?? "", "HOME": "/nonexistent-home"])
    }

    @Test func filesOfRevisionsAndTheRedirectWithoutTheToken() async throws {
        try await withHub { fixture in
            let fetched = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch("hf://vision/adder/onnx/model.onnx")
            #expect(FetchFixture.contents(fetched.path) == FetchFixture.contents(Fixtures.model("add.onnx")))
            #expect(fetched.path.hasSuffix("/model.onnx"))
            let tagged = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch("hf://vision/adder@v1/model.onnx")
            #expect(FetchFixture.contents(tagged.path) == FetchFixture.contents(Fixtures.model("mobilenet_gen.onnx")))
            // The token goes to the Hub, never to its CDN.
            let gated = try await fixture.fetcher { $0.huggingFace = hub(fixture, token: "hf_test_token") }.fetch("hf://acme/private/model.onnx")
            #expect(FetchFixture.contents(gated.path) == FetchFixture.contents(Fixtures.model("add.onnx")))
            // Each listed first (the revision's commit), then fetched at the commit.
            let main = "b28b7af69320201d1cf206ebf28373980add1451", v1 = "5a6df720540c20d95d530d3fd6885511223d5d20"  // SHA-1s of the revisions
            #expect(
                fixture.server.hubRequests() == [
                    "HUB API vision/adder@main authorization=no", "HUB vision/adder@\(main)/onnx/model.onnx authorization=no",
                    "CDN /cdn/hub/vision/adder/main/onnx/model.onnx authorization=no",
                    "HUB API vision/adder@v1 authorization=no", "HUB vision/adder@\(v1)/model.onnx authorization=no",
                    "CDN /cdn/hub/vision/adder/v1/model.onnx authorization=no",
                    "HUB API acme/private@main authorization=yes", "HUB acme/private@\(main)/model.onnx authorization=yes",
                    "CDN /cdn/hub/acme/private/main/model.onnx authorization=no",
                ])
        }
    }

    /// `hf://OWNER/REPO` and `hf://OWNER/REPO/FOLDER/`: the model (model.onnx among several) with
    /// the config files beside it, at the revision's commit, in the repository's layout; the
    /// config files read as a local export's are.
    @Test func aRepositorysModelComesWithItsConfigFiles() async throws {
        try await withHub { fixture in
            let commit = "b28b7af69320201d1cf206ebf28373980add1451"  // SHA-1 of "main", the fixture's commit
            for uri in ["hf://vision/cats", "hf://vision/cats@main/onnx/"] {
                let fetched = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(uri)
                #expect(fetched.path.hasSuffix(".d/onnx/model.onnx"), "\(fetched.path)")
                #expect(try fetched.modelFiles().map(\.name) == ["cats"])  // served under the repository's name
                #expect(FetchFixture.contents(fetched.path) == FetchFixture.contents(Fixtures.huggingFace("convnext/onnx/model.onnx")))
                let root = String(fetched.path.dropLast("onnx/model.onnx".count))
                #expect(
                    Set(try FileManager.default.subpathsOfDirectory(atPath: root)) == [
                        "onnx", "onnx/model.onnx", "config.json", "preprocessor_config.json", ".ledge-snapshot",
                    ])
                let sidecar = try #require(try ModelSidecar.load(besides: fetched.path))
                #expect(sidecar.labels?.first == "tabby, tabby cat")
                #expect(sidecar.recipe?.crop == ImageSize(width: 224, height: 224))
            }
            #expect(
                fixture.server.hubRequests().filter { $0.hasPrefix("HUB ") }.prefix(4) == [
                    "HUB API vision/cats@main authorization=no", "HUB vision/cats@\(commit)/onnx/model.onnx authorization=no",
                    "HUB vision/cats@\(commit)/preprocessor_config.json authorization=no", "HUB vision/cats@\(commit)/config.json authorization=no",
                ])
            // At a commit, the entry is found again without the network (as a pinned file is); by a branch, the Hub is asked.
            let atCommit = "hf://vision/cats@\(commit)"
            let first = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(atCommit)
            let asked = fixture.server.hubRequests().count
            let again = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(atCommit)
            #expect(!first.fromCache && again.fromCache && again.path == first.path && again.sha256 == first.sha256)
            #expect(try again.modelFiles().map(\.name) == ["cats"])
            #expect(fixture.server.hubRequests().count == asked)
            _ = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch("hf://vision/cats")
            #expect(fixture.server.hubRequests().count > asked)
            // A repository without config files: its model alone.
            let plain = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch("hf://vision/adder@v1")
            #expect(FetchFixture.contents(plain.path) == FetchFixture.contents(Fixtures.model("mobilenet_gen.onnx")))
            let cases = [
                (
                    "hf://vision/many",
                    "hf://vision/many: 2 models (a.onnx, b.tflite) and none is model.onnx: name a folder holding one (hf://vision/many/FOLDER/), or the file (hf://vision/many/a.onnx)"
                ),
                ("hf://vision/cats/tokenizer/", "hf://vision/cats/tokenizer/: no .onnx or .tflite file in tokenizer/"),
                ("hf://vision/cats@nope", "hf://vision/cats@nope: listing the repository: HTTP 404: RevisionNotFound: Invalid rev id: nope"),
                (
                    "hf://acme/private",
                    "hf://acme/private: listing the repository: HTTP 401: GatedRepo: Access to model acme/private is restricted. You must have access to it and be authenticated to access it. Please log in."
                ),
            ]
            for (uri, message) in cases {
                let error = try await #require(throws: LedgeError.self) { try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(uri) }
                #expect(error.message == message)
            }
            // A listing that would write outside the cache entry, or is no listing: refused, nothing written.
            for (repository, listing) in [
                ("evil", #"{"sha": "\#(commit)", "siblings": [{"rfilename": "config.json"}, {"rfilename": "../../escape.onnx"}]}"#),
                ("odd", #"{"modelId": "x"}"#),
            ] {
                try FileManager.default.createDirectory(
                    atPath: fixture.root + "/served/hub/acme/\(repository)/main", withIntermediateDirectories: true)
                try listing.write(toFile: fixture.root + "/served/hub/acme/\(repository)/.listing.json", atomically: true, encoding: .utf8)
            }
            let unsafe = [
                ("hf://acme/evil", "hf://acme/evil: the Hub listed the path '../../escape.onnx', which would leave the model's folder"),
                ("hf://acme/odd", "hf://acme/odd: the Hub's answer lists no files (expected JSON with siblings)"),
            ]
            for (uri, message) in unsafe {
                let error = try await #require(throws: LedgeError.self) { try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(uri) }
                #expect(error.message == message)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.cache + "/staging").isEmpty)
            #expect(
                !FileManager.default.fileExists(atPath: fixture.cache + "/escape.onnx")
                    && !FileManager.default.fileExists(atPath: fixture.root + "/escape.onnx"))
            let gated = try await fixture.fetcher { $0.huggingFace = hub(fixture, token: "hf_test_token") }.fetch("hf://acme/private")
            #expect(FetchFixture.contents(gated.path) == FetchFixture.contents(Fixtures.model("add.onnx")))
        }
    }

    /// `hf://OWNER/REPO/PATH.onnx`: the named model (not the repository's model.onnx) with its
    /// export's config files, as a repository's model comes; a pin checked before they are fetched
    /// and, like a commit, found again without the network; a cut file resumed by the next fetch.
    @Test func aNamedModelComesWithItsExportsConfigFiles() async throws {
        try await withHub { fixture in
            let commit = "b28b7af69320201d1cf206ebf28373980add1451"
            let quantized = "hf://vision/cats/onnx/model_quantized.onnx"
            let fetched = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(quantized)
            #expect(fetched.path.hasSuffix(".d/onnx/model_quantized.onnx"), "\(fetched.path)")
            #expect(FetchFixture.contents(fetched.path) == FetchFixture.contents(Fixtures.model("add.onnx")))
            #expect(try fetched.modelFiles().map(\.name) == [nil])  // served under its file's name, as before
            let root = String(fetched.path.dropLast("onnx/model_quantized.onnx".count))
            #expect(
                Set(try FileManager.default.subpathsOfDirectory(atPath: root)) == [
                    "onnx", "onnx/model_quantized.onnx", "config.json", "preprocessor_config.json", ".ledge-snapshot",
                ])
            let sidecar = try #require(try ModelSidecar.load(besides: fetched.path))
            #expect(sidecar.labels?.first == "tabby, tabby cat" && sidecar.recipe?.crop == ImageSize(width: 224, height: 224))
            #expect(
                fixture.server.hubRequests().filter { $0.hasPrefix("HUB ") } == [
                    "HUB API vision/cats@main authorization=no", "HUB vision/cats@\(commit)/onnx/model_quantized.onnx authorization=no",
                    "HUB vision/cats@\(commit)/preprocessor_config.json authorization=no", "HUB vision/cats@\(commit)/config.json authorization=no",
                ])

            // Pinned (by a branch) or at a commit: kept under that, served again without the network.
            let sha = try ContentDigest.sha256(file: Fixtures.model("add.onnx")).digest
            for uri in [quantized + "#sha256=" + sha, "hf://vision/cats@\(commit)/onnx/model_quantized.onnx"] {
                let first = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(uri)
                let asked = fixture.server.hubRequests().count
                let again = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(uri)
                #expect(!first.fromCache && again.fromCache && again.path == first.path && again.sha256 == sha, "\(uri)")
                #expect(fixture.server.hubRequests().count == asked)
                #expect(try ModelSidecar.load(besides: again.path)?.labels?.count == sidecar.labels?.count)
            }
            let entries = fixture.cacheEntries().count
            let wrong = String(repeating: "0", count: 64)
            let error = try await #require(throws: LedgeError.self) {
                try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch(quantized + "#sha256=" + wrong)
            }
            #expect(error.message == "\(quantized): sha256 is \(sha), expected \(wrong) (the #sha256= pin)")
            // Refused before any config file was asked for.
            #expect(fixture.server.hubRequests().last == "CDN /cdn/hub/vision/cats/main/onnx/model_quantized.onnx authorization=no")
            #expect(fixture.cacheEntries().count == entries && fixture.partials().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.cache + "/staging").isEmpty)

            // A file cut on the way: kept in partial/, and the next fetch asks for the rest only.
            try "main/onnx/model.onnx\n".write(toFile: fixture.root + "/served/hub/vision/cats/.cut", atomically: true, encoding: .utf8)
            let size = FetchFixture.size(Fixtures.huggingFace("convnext/onnx/model.onnx"))
            let cut = try await #require(throws: LedgeError.self) {
                try await fixture.fetcher {
                    $0.huggingFace = hub(fixture); $0.download.retries = 0
                }.fetch("hf://vision/cats/onnx/model.onnx")
            }
            #expect(
                cut.message.hasPrefix("hf://vision/cats/onnx/model.onnx (onnx/model.onnx): the connection closed after \(size / 2) of \(size) bytes"))
            #expect(Array(fixture.partials().values) == [size / 2])
            let resumed = try await fixture.fetcher { $0.huggingFace = hub(fixture) }.fetch("hf://vision/cats/onnx/model.onnx")
            #expect(FetchFixture.contents(resumed.path) == FetchFixture.contents(Fixtures.huggingFace("convnext/onnx/model.onnx")))
            #expect(
                fixture.server.requests().last { $0.contains("/cdn/hub/vision/cats/main/onnx/model.onnx") }
                    == "GET /cdn/hub/vision/cats/main/onnx/model.onnx bytes=\(size / 2)-")
            #expect(fixture.partials().isEmpty)
        }
    }

    /// The Hub's refusals, in one line with its `X-Error-Code` and `X-Error-Message` — from its
    /// model API for a model, from the file's URL for another file; nothing left in `partial/`.
    @Test func refusalsCarryTheHubsReason() async throws {
        try await withHub { fixture in
            let gated =
                "GatedRepo: Access to model acme/private is restricted. You must have access to it and be authenticated to access it. Please log in."
            let cases: [(String, String?, String)] = [
                ("hf://acme/private/model.onnx", nil, "hf://acme/private/model.onnx: listing the repository: HTTP 401: " + gated),
                ("hf://acme/private/model.onnx", "hf_wrong", "hf://acme/private/model.onnx: listing the repository: HTTP 401: " + gated),
                ("hf://acme/private/models.tar.gz", nil, "hf://acme/private/models.tar.gz: HTTP 401 Unauthorized: " + gated),
                (
                    "hf://vision/adder@nope/model.onnx", nil,
                    "hf://vision/adder@nope/model.onnx: listing the repository: HTTP 404: RevisionNotFound: Invalid rev id: nope"
                ),
                (
                    "hf://vision/adder/missing.onnx", nil,
                    "hf://vision/adder/missing.onnx: no file missing.onnx in vision/adder at main (b28b7af69320201d1cf206ebf28373980add1451)"
                ),
                (
                    "hf://vision/adder/missing.tar.gz", nil,
                    "hf://vision/adder/missing.tar.gz: HTTP 404 Not Found: EntryNotFound: missing.tar.gz does not exist on \"main\""
                ),
                (
                    "hf://nobody/nothing/model.onnx", nil,
                    "hf://nobody/nothing/model.onnx: listing the repository: HTTP 404: RepoNotFound: Repository Not Found for url: /hub/api/models/nobody/nothing/revision/main."
                ),
                (
                    "hf://nobody/nothing/model.zip", nil,
                    "hf://nobody/nothing/model.zip: HTTP 404 Not Found: RepoNotFound: Repository Not Found for url: /hub/nobody/nothing/resolve/main/model.zip."
                ),
            ]
            for (uri, token, message) in cases {
                let error = try await #require(throws: LedgeError.self) {
                    try await fixture.fetcher { $0.huggingFace = hub(fixture, token: token) }.fetch(uri)
                }
                #expect(error.message == message)
            }
            #expect(fixture.partials().isEmpty)
        }
    }

    /// The token as huggingface_hub finds it: `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the
    /// file `HF_TOKEN_PATH`, else `$HF_HOME/token`, else `~/.cache/huggingface/token`; the endpoint's
    /// trailing slash dropped; URIs that are not `hf://OWNER/REPO[@REVISION]/PATH` refused.
    @Test func settingsAndURIs() async throws {
        try await withTemporaryDirectory(prefix: "ledge-hf-token") { folder in
            try FileManager.default.createDirectory(atPath: folder + "/.cache/huggingface", withIntermediateDirectories: true)
            try "hf_from_login\n".write(toFile: folder + "/.cache/huggingface/token", atomically: true, encoding: .utf8)
            try "hf_from_path".write(toFile: folder + "/path-token", atomically: true, encoding: .utf8)
            #expect(HuggingFaceSettings(environment: ["HOME": folder]).token == "hf_from_login")
            #expect(HuggingFaceSettings(environment: ["HOME": "/x", "HF_HOME": folder + "/.cache/huggingface"]).token == "hf_from_login")
            #expect(HuggingFaceSettings(environment: ["HOME": folder, "HF_TOKEN_PATH": folder + "/path-token"]).token == "hf_from_path")
            #expect(HuggingFaceSettings(environment: ["HOME": folder, "HUGGING_FACE_HUB_TOKEN": "hf_legacy"]).token == "hf_legacy")
            #expect(HuggingFaceSettings(environment: ["HOME": folder, "HF_TOKEN": "hf_env", "HUGGING_FACE_HUB_TOKEN": "x"]).token == "hf_env")
            #expect(HuggingFaceSettings(environment: ["HOME": "/nonexistent-home"]).token == nil)
        }
        let hub = HuggingFaceSettings(environment: ["HF_ENDPOINT": "https://hf-mirror.example.com/"])
        #expect(hub.endpoint == "https://hf-mirror.example.com")
        #expect(
            hub.url(repository: "vision/adder", revision: "refs/pr/1", path: "onnx/model q.onnx")
                == "https://hf-mirror.example.com/vision/adder/resolve/refs%2Fpr%2F1/onnx/model%20q.onnx")
        let uri = try ModelURI(parsing: "hf://vision/adder@v1/onnx/model.onnx#sha256=" + String(repeating: "0", count: 64))
        #expect(uri.location == .huggingFace(repository: "vision/adder", revision: "v1", path: "onnx/model.onnx"))
        #expect(uri.fileName == "model.onnx")
        #expect(try ModelURI(parsing: "hf://vision/adder").location == .huggingFaceFolder(repository: "vision/adder", revision: "main", folder: ""))
        #expect(
            try ModelURI(parsing: "hf://vision/adder@v1/onnx/").location
                == .huggingFaceFolder(repository: "vision/adder", revision: "v1", folder: "onnx/"))
        for text in ["hf://vision", "hf:///adder/model.onnx", "hf://vision/@v1/model.onnx", "hf://vision/adder@/m.onnx", "hf://vision/adder//m.onnx"]
        {
            #expect(
                throws: LedgeError.usage(
                    "model URI '\(text)': expected hf://OWNER/REPO[@REVISION][/PATH] (a Hugging Face Hub repository, a folder of it ending in /, or a file)"
                )
            ) {
                try ModelURI(parsing: text)
            }
        }
        let pinned = "hf://vision/adder#sha256=" + String(repeating: "0", count: 64)
        #expect(
            throws: LedgeError.usage(
                "model URI '\(pinned)': a repository or folder takes no #sha256= pin (pin its revision instead: hf://vision/adder@COMMIT)")
        ) {
            try ModelURI(parsing: pinned)
        }
    }
}
