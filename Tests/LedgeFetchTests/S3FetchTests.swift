import Foundation
import LedgeCore
import LedgeFetch
import LedgeTesting
import Testing

/// `s3://BUCKET/KEY` model URIs against a loopback S3-compatible server whose signature check is
/// botocore's own SigV4 signer (`scripts/s3_fixture_server.py`), and the signer against AWS's
/// published example.
@Suite struct S3FetchTests {
    static let key = "AKIDLEDGETEST"
    static let secret = "s3cr3t/Ledge+Key"

    /// A fixture whose `served/` holds `models/` (signed access) and `public/` buckets, behind the S3 server.
    func withS3(token: String? = nil, _ body: (FetchFixture, S3Settings) async throws -> Void) async throws {
        try await withTemporaryDirectory(prefix: "ledge-s3") { root in
            let served = root + "/served"
            for bucket in ["models", "models/team a", "public"] {
                try FileManager.default.createDirectory(atPath: served + "/" + bucket, withIntermediateDirectories: true)
            }
            try FileManager.default.copyItem(atPath: Fixtures.model("mobilenet_gen.onnx"), toPath: served + "/models/mobilenet_gen.onnx")
            try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: served + "/models/team a/add+v1.onnx")
            try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: served + "/public/add.onnx")
            try await FixtureHTTPServer.withS3Server(root: served, accessKey: Self.key, secret: Self.secret, token: token) { server in
                let settings = S3Settings(
                    endpoint: RequestURL(server.baseURL), region: "us-east-1",
                    credentials: AWSCredentials(accessKeyID: Self.key, secretAccessKey: Self.secret, sessionToken: token))
                try await body(FetchFixture(root: root, server: server), settings)
            }
        }
    }

    @Test func signedFetchesPassBotocoresCheck() async throws {
        try await withS3 { fixture, settings in
            let fetched = try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/mobilenet_gen.onnx")
            #expect(FetchFixture.contents(fetched.path) == FetchFixture.contents(Fixtures.model("mobilenet_gen.onnx")))
            #expect(fetched.path.hasSuffix("/mobilenet_gen.onnx"))
            // A key with a space and a plus: encoded once in the path, signed as sent.
            let spaced = try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/team a/add+v1.onnx")
            #expect(spaced.path.hasSuffix("/add+v1.onnx"))
            #expect(FetchFixture.contents(spaced.path) == FetchFixture.contents(Fixtures.model("add.onnx")))
            #expect(
                fixture.server.s3Outcomes() == [
                    "GET /models/mobilenet_gen.onnx signed=host;x-amz-content-sha256;x-amz-date -> 200",
                    "GET /models/team%20a/add%2Bv1.onnx signed=host;x-amz-content-sha256;x-amz-date -> 200",
                ])
        }
    }

    @Test func sessionTokensAreSigned() async throws {
        try await withS3(token: "FQoGZXIvYXdzEPT//////////token==") { fixture, settings in
            _ = try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/mobilenet_gen.onnx")
            var stale = settings
            stale.credentials?.sessionToken = "expired"
            let uri = "s3://models/mobilenet_gen.onnx"
            await #expect(
                throws: LedgeError(
                    .remoteFailure, "\(uri): HTTP 403 Forbidden: InvalidToken: The provided token is malformed or otherwise invalid.")
            ) { try await fixture.fetcher { $0.s3 = stale }.fetch(uri) }
            #expect(
                fixture.server.s3Outcomes() == [
                    "GET /models/mobilenet_gen.onnx signed=host;x-amz-content-sha256;x-amz-date;x-amz-security-token -> 200",
                    "GET /models/mobilenet_gen.onnx signed=host;x-amz-content-sha256;x-amz-date;x-amz-security-token -> InvalidToken",
                ])
        }
    }

    @Test func refusalsNameTheURIAndTheStoresCode() async throws {
        try await withS3 { fixture, settings in
            var wrong = settings
            wrong.credentials?.secretAccessKey = "not-the-secret"
            let uri = "s3://models/mobilenet_gen.onnx"
            await #expect(
                throws: LedgeError(
                    .remoteFailure,
                    "\(uri): HTTP 403 Forbidden: SignatureDoesNotMatch: The request signature we calculated does not match the signature "
                        + "you provided. Check your key and signing method.")
            ) { try await fixture.fetcher { $0.s3 = wrong }.fetch(uri) }
            await #expect(
                throws: LedgeError(.notFound, "s3://models/none.onnx: HTTP 404 Not Found: NoSuchKey: The specified key does not exist.")
            ) { try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/none.onnx") }
            // Without credentials requests go unsigned: a public bucket answers, a private one refuses.
            var anonymous = settings
            anonymous.credentials = nil
            _ = try await fixture.fetcher { $0.s3 = anonymous }.fetch("s3://public/add.onnx")
            await #expect(throws: LedgeError(.remoteFailure, "\(uri): HTTP 403 Forbidden: AccessDenied: Access Denied")) {
                try await fixture.fetcher { $0.s3 = anonymous }.fetch(uri)
            }
            // A bucket of another region: S3 says which, without a Location to follow.
            await #expect(
                throws: LedgeError(
                    .remoteFailure, "s3://elsewhere/m.onnx: the bucket is in region eu-west-1, not the one asked: set AWS_REGION=eu-west-1")
            ) { try await fixture.fetcher { $0.s3 = settings }.fetch("s3://elsewhere/m.onnx") }
            #expect(fixture.partials().isEmpty)
            #expect(
                fixture.server.s3Outcomes().map { $0.split(separator: " ").last.map(String.init) ?? "" } == [
                    "SignatureDoesNotMatch", "NoSuchKey", "200", "AccessDenied", "PermanentRedirect",
                ])
        }
    }

    /// AWS's worked example of a signed GET (S3 API reference, "Example: GET Object"): the
    /// signature our signer computes for its request is the one the documentation gives.
    @Test func signerMatchesAWSsPublishedExample() {
        let credentials = AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let authorization = SigV4.authorization(
            method: "GET", path: "/test.txt", query: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"), ("x-amz-content-sha256", empty),
                ("x-amz-date", "20130524T000000Z"),
            ],
            payloadHash: empty, seconds: 1_369_353_600, region: "us-east-1", service: "s3", credentials: credentials)
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(SigV4.timestamp(1_369_353_600) == "20130524T000000Z")
        #expect(SigV4.timestamp(951_827_696) == "20000229T123456Z")
    }

    static let role = "arn:aws:iam::123456789012:role/ledge-models"

    /// The credentials botocore's own providers get from `environment` (the fixture's STS and
    /// container endpoints speak what the SDK expects): `ACCESS_KEY TOKEN`.
    static func botocoreCredentials(_ environment: [String: String]) throws -> String {
        let result = try ProcessRunner.run(
            Fixtures.home + "/venv/bin/python",
            [
                "-c",
                "import botocore.session; c = botocore.session.get_session().get_credentials().get_frozen_credentials(); print(c.access_key, c.token)",
            ], environment: environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }, inheritEnvironment: false)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// EKS's IAM roles for service accounts: the projected token exchanged at STS
    /// (`AssumeRoleWithWebIdentity`) for temporary keys, which sign the fetch with their token.
    @Test func webIdentityTokensAreExchangedAtSTS() async throws {
        let token = "FwoGZXIvYXdzEIRSA-session"
        try await withS3(token: token) { fixture, direct in
            let tokenFile = fixture.root + "/web-identity-token"
            try "eks-projected-service-account-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let environment = [
                "HOME": "/nonexistent", "AWS_ENDPOINT_URL_S3": fixture.server.baseURL, "AWS_ENDPOINT_URL_STS": fixture.server.baseURL + "/sts/",
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": Self.role, "AWS_REGION": "us-east-1",
            ]
            let settings = try S3Settings.from(environment: environment)
            #expect(settings.credentials == nil)
            let fetched = try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/mobilenet_gen.onnx")
            #expect(FetchFixture.contents(fetched.path) == FetchFixture.contents(Fixtures.model("mobilenet_gen.onnx")))
            #expect(try Self.botocoreCredentials(environment) == "\(Self.key) \(token)")
            // The keys last an hour: another fetch (a repository's next sync) asks STS nothing
            // (the one call before it is ours, the other botocore's).
            #expect(fixture.server.credentialRequests() == Array(repeating: "STS \(Self.role) -> ok", count: 2))
            _ = try await fixture.fetcher {
                $0.s3 = settings
                $0.cacheDirectory = fixture.root + "/cache-again"
            }.fetch("s3://models/mobilenet_gen.onnx")
            #expect(fixture.server.credentialRequests() == Array(repeating: "STS \(Self.role) -> ok", count: 2))

            var wrongRole = environment
            wrongRole["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/other"
            await #expect(
                throws: LedgeError(
                    .remoteFailure,
                    "s3://models/mobilenet_gen.onnx: STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/other at "
                        + "\(fixture.server.baseURL)/sts/: HTTP 403: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity")
            ) {
                let settings = try S3Settings.from(environment: wrongRole)
                return try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/mobilenet_gen.onnx")
            }
            #expect(
                fixture.server.s3Outcomes()
                    == Array(
                        repeating: "GET /models/mobilenet_gen.onnx signed=host;x-amz-content-sha256;x-amz-date;x-amz-security-token -> 200", count: 2)
            )
            _ = direct
        }
    }

    /// ECS task roles and EKS Pod Identity: the container endpoint, asked with the token file's
    /// contents, answers the keys.
    @Test func containerEndpointsGiveTheKeys() async throws {
        let token = "IQoJb3JpZ2luX2VjEPodIdentity"
        try await withS3(token: token) { fixture, _ in
            let tokenFile = fixture.root + "/pod-identity-token"
            try "eks-pod-identity-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let environment = [
                "HOME": "/nonexistent", "AWS_ENDPOINT_URL": fixture.server.baseURL,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": fixture.server.baseURL + "/container/credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
            ]
            let settings = try S3Settings.from(environment: environment)
            _ = try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/mobilenet_gen.onnx")
            #expect(try Self.botocoreCredentials(environment) == "\(Self.key) \(token)")
            var wrong = environment
            wrong["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = nil
            wrong["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "stale"
            await #expect(
                throws: LedgeError(
                    .remoteFailure, "s3://models/m.onnx: container credentials at \(fixture.server.baseURL)/container/credentials: HTTP 401")
            ) {
                let settings = try S3Settings.from(environment: wrong)
                return try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/m.onnx")
            }
            #expect(
                throws: LedgeError.usage(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI='http://10.0.0.5/creds': expected https://…, or http:// to a loopback address or 169.254.170.2/.23"
                )
            ) { try S3Settings.from(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.5/creds", "HOME": "/nonexistent"]) }
        }
    }

    /// An EC2 instance's role from the instance metadata service (IMDSv2), last in the order;
    /// `AWS_EC2_METADATA_DISABLED=true` leaves requests unsigned.
    @Test func instanceMetadataGivesARolesKeys() async throws {
        let token = "IQoJb3JpZ2luX2VjEC2InstanceRole"
        try await withS3(token: token) { fixture, _ in
            let environment = [
                "HOME": "/nonexistent", "AWS_ENDPOINT_URL_S3": fixture.server.baseURL, "AWS_EC2_METADATA_SERVICE_ENDPOINT": fixture.server.baseURL,
                // A loaded test machine can take more than the SDKs' 1 s to answer from loopback.
                "AWS_METADATA_SERVICE_TIMEOUT": "20",
            ]
            let settings = try S3Settings.from(environment: environment)
            #expect(settings.provider == .instanceMetadata(endpoint: RequestURL(fixture.server.baseURL)!, timeout: 20, attempts: 1))
            _ = try await fixture.fetcher { $0.s3 = settings }.fetch("s3://models/mobilenet_gen.onnx")
            #expect(try Self.botocoreCredentials(environment) == "\(Self.key) \(token)")
            let disabled = try S3Settings.from(environment: environment.merging(["AWS_EC2_METADATA_DISABLED": "true"]) { $1 })
            #expect(disabled.provider == nil && disabled.credentials == nil)
            #expect(
                fixture.server.s3Outcomes()
                    == ["GET /models/mobilenet_gen.onnx signed=host;x-amz-content-sha256;x-amz-date;x-amz-security-token -> 200"])
        }
    }
}
