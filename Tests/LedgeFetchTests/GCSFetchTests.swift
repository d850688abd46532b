import Foundation
import LedgeCore
import LedgeFetch
import LedgeTesting
import Testing

/// `gs://BUCKET/OBJECT` against a loopback Cloud Storage (`scripts/fixture_http_server.py`'s JSON
/// API media downloads, OAuth token endpoint and metadata server): a public bucket read
/// anonymously, a private one with a service account key (an RS256 JWT the server checks with
/// openssl, its token kept for its lifetime), gcloud's user credentials and the metadata
/// server's token; Google's JSON errors in one line.
@Suite struct GCSFetchTests {
    /// Buckets `public-models` (anonymous) and `private-models` (object `vision/add model.onnx`), a
    /// service account key pair made by openssl and the user credentials the server accepts.
    func withStorage(_ body: (FetchFixture, String) async throws -> Void) async throws {
        try await withTemporaryDirectory(prefix: "ledge-gcs") { root in
            let gcs = root + "/served/gcs"
            let fm = FileManager.default
            for folder in ["public-models", "private-models/vision"] {
                try fm.createDirectory(atPath: gcs + "/" + folder, withIntermediateDirectories: true)
            }
            try fm.copyItem(atPath: Fixtures.model("add.onnx"), toPath: gcs + "/public-models/add.onnx")
            try fm.copyItem(atPath: Fixtures.model("mobilenet_gen.onnx"), toPath: gcs + "/private-models/vision/add model.onnx")
            try "".write(toFile: gcs + "/public-models/.public", atomically: true, encoding: .utf8)
            let key = try ProcessRunner.run(
                "/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", root + "/key.pem"])
            #expect(key.status == 0, "\(key.stderr)")
            let pub = try ProcessRunner.run("/usr/bin/openssl", ["pkey", "-in", root + "/key.pem", "-pubout", "-out", gcs + "/.service-account.pub"])
            #expect(pub.status == 0, "\(pub.stderr)")
            let user = #"{"client_id": "ledge-test.apps.googleusercontent.com", "client_secret": "s3cret", "refresh_token": "1//refresh"}"#
            try user.write(toFile: gcs + "/.user.json", atomically: true, encoding: .utf8)
            try await FixtureHTTPServer.withServer(root: root + "/served") { server in
                try await body(FetchFixture(root: root, server: server), root)
            }
        }
    }

    /// A credentials file of `type` in `root` whose token endpoint is the fixture's.
    func credentials(_ fixture: FetchFixture, root: String, type: String) throws -> String {
        let path = root + "/\(type).json"
        var file: [String: String] = ["type": type, "token_uri": fixture.url("/token")]
        if type == "service_account" {
            file["client_email"] = "model-reader@ledge-test.iam.gserviceaccount.com"
            file["private_key_id"] = "k1"
            file["private_key"] = try String(contentsOfFile: root + "/key.pem", encoding: .utf8)
        } else {
            file["client_id"] = "ledge-test.apps.googleusercontent.com"
            file["client_secret"] = "s3cret"
            file["refresh_token"] = "1//refresh"
        }
        try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: path))
        return path
    }

    func settings(_ fixture: FetchFixture, _ extra: [String: String] = [:]) throws -> GCSSettings {
        let host = fixture.server.baseURL.replacingOccurrences(of: "http://", with: "")
        return try GCSSettings.from(environment: ["STORAGE_EMULATOR_HOST": host, "HOME": "/nonexistent-home"].merging(extra) { $1 }, machineName: "")
    }

    @Test func publicServiceAccountUserAndMetadataCredentials() async throws {
        try await withStorage { fixture, root in
            let anonymous = try await fixture.fetcher { $0.gcs = try? settings(fixture) }.fetch("gs://public-models/add.onnx")
            #expect(FetchFixture.contents(anonymous.path) == FetchFixture.contents(Fixtures.model("add.onnx")))
            let host = fixture.server.baseURL.replacingOccurrences(of: "http://", with: "")
            let sources: [[String: String]] = [
                ["GOOGLE_APPLICATION_CREDENTIALS": try credentials(fixture, root: root, type: "service_account")],
                ["CLOUDSDK_CONFIG": root + "/gcloud"],
                ["GCE_METADATA_HOST": host],
            ]
            try FileManager.default.createDirectory(atPath: root + "/gcloud", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: try credentials(fixture, root: root, type: "authorized_user"), toPath: root + "/gcloud/application_default_credentials.json")
            for (index, environment) in sources.enumerated() {
                let configured = try settings(fixture, environment)
                let fetched = try await fixture.fetcher {
                    $0.gcs = configured
                    $0.cacheDirectory = root + "/cache-\(index)"
                }.fetch("gs://private-models/vision/add model.onnx")
                #expect(FetchFixture.contents(fetched.path) == FetchFixture.contents(Fixtures.model("mobilenet_gen.onnx")))
                #expect(fetched.path.hasSuffix("/add model.onnx"))
            }
            // The service account's token is kept for its hour: another download asks for none.
            let again = try await fixture.fetcher {
                $0.gcs = try? settings(fixture, sources[0])
                $0.cacheDirectory = root + "/cache-again"
            }.fetch("gs://private-models/vision/add model.onnx")
            #expect(FetchFixture.contents(again.path) == FetchFixture.contents(Fixtures.model("mobilenet_gen.onnx")))
            #expect(
                fixture.server.gcsRequests() == [
                    "GCS public-models/add.onnx token=none",
                    "TOKEN jwt-bearer model-reader@ledge-test.iam.gserviceaccount.com",
                    "GCS private-models/vision/add model.onnx token=service_account",
                    "TOKEN refresh_token ledge-test.apps.googleusercontent.com", "GCS private-models/vision/add model.onnx token=authorized_user",
                    "METADATA token", "GCS private-models/vision/add model.onnx token=metadata",
                    "GCS private-models/vision/add model.onnx token=service_account",
                ])
        }
    }

    /// Cloud Storage's and the token endpoint's refusals in one line; nothing left in `partial/`.
    @Test func refusalsCarryGooglesReason() async throws {
        try await withStorage { fixture, root in
            let account = try credentials(fixture, root: root, type: "service_account")
            let other = root + "/other.pem"
            #expect(try ProcessRunner.run("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-out", other]).status == 0)
            var forged = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: account))) as? [String: String] ?? [:]
            forged["private_key"] = try String(contentsOfFile: other, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: forged).write(to: URL(fileURLWithPath: root + "/forged.json"))
            let cases: [(String, [String: String], String)] = [
                (
                    "gs://private-models/vision/add model.onnx", [:],
                    "gs://private-models/vision/add model.onnx: HTTP 401 Unauthorized: Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist)."
                ),
                (
                    "gs://public-models/missing.onnx", [:],
                    "gs://public-models/missing.onnx: HTTP 404 Not Found: No such object: public-models/missing.onnx"
                ),
                (
                    "gs://private-models/vision/add model.onnx", ["GOOGLE_APPLICATION_CREDENTIALS": root + "/forged.json"],
                    "gs://private-models/vision/add model.onnx: the token of service account model-reader@ledge-test.iam.gserviceaccount.com at \(fixture.url("/token")): HTTP 400: invalid_grant: Invalid JWT Signature."
                ),
                (
                    "gs://private-models/vision/add model.onnx", ["GOOGLE_APPLICATION_CREDENTIALS": root + "/nothing.json"],
                    "gs://private-models/vision/add model.onnx: GOOGLE_APPLICATION_CREDENTIALS='\(root)/nothing.json': cannot read it"
                ),
            ]
            for (uri, environment, message) in cases {
                let configured: GCSSettings
                do {
                    configured = try settings(fixture, environment)
                } catch let error as LedgeError {
                    #expect("\(uri): " + error.message == message)
                    continue
                }
                let error = try await #require(throws: LedgeError.self) { try await fixture.fetcher { $0.gcs = configured }.fetch(uri) }
                #expect(error.message == message)
            }
            #expect(fixture.partials().isEmpty)
        }
    }

    /// Settings as Google's libraries read them; the JWT a service account signs; URIs that are
    /// not `gs://BUCKET/OBJECT` refused.
    @Test func settingsJWTAndURIs() throws {
        let emulator = try GCSSettings.from(environment: ["STORAGE_EMULATOR_HOST": "127.0.0.1:4443", "HOME": "/nonexistent-home"], machineName: "")
        #expect(emulator.endpoint == "http://127.0.0.1:4443" && emulator.credentials == nil)
        #expect(
            emulator.url(bucket: "models", object: "vision/add model.onnx")
                == "http://127.0.0.1:4443/storage/v1/b/models/o/vision%2Fadd%20model.onnx?alt=media")
        let google = try GCSSettings.from(environment: ["HOME": "/nonexistent-home"], machineName: "Google Compute Engine\n")
        #expect(google.endpoint == "https://storage.googleapis.com" && google.credentials == .metadata(host: "metadata.google.internal"))
        #expect(try GCSSettings.from(environment: ["HOME": "/nonexistent-home"], machineName: "Standard PC (Q35 + ICH9, 2009)\n").credentials == nil)
        #expect(throws: LedgeError.usage("STORAGE_EMULATOR_HOST='127.0.0.1:4443/x': expected HOST:PORT or http(s)://HOST[:PORT]")) {
            try GCSSettings.from(environment: ["STORAGE_EMULATOR_HOST": "127.0.0.1:4443/x"], machineName: "")
        }
        let external = NSTemporaryDirectory() + "ledge-gcs-external-\(UUID().uuidString).json"
        try #"{"type": "external_account", "audience": "//iam.googleapis.com/x"}"#.write(toFile: external, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: external) }
        #expect(
            throws: LedgeError.usage(
                "GOOGLE_APPLICATION_CREDENTIALS='\(external)': credentials of type 'external_account': expected service_account or authorized_user (else use the metadata server, or a signed https:// URL)"
            )
        ) {
            try GCSSettings.from(environment: ["GOOGLE_APPLICATION_CREDENTIALS": external], machineName: "")
        }
        let uri = try ModelURI(parsing: "gs://models/vision/add.onnx#sha256=" + String(repeating: "0", count: 64))
        #expect(uri.location == .gcs(bucket: "models", object: "vision/add.onnx"))
        #expect(uri.fileName == "add.onnx")
        for text in ["gs://models/", "gs://m/add.onnx", "gs:///add.onnx", "gs://models/add.onnx?generation=1"] {
            #expect(
                throws: LedgeError.usage(
                    "model URI '\(text)': expected gs://BUCKET/OBJECT (a bucket of 3-63 letters, digits, '.', '-' or '_', and an object name)")
            ) {
                try ModelURI(parsing: text)
            }
        }
    }
}
