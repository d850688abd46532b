import Foundation
import LedgeCore
@testable import LedgeFetch
import LedgeTesting
import Testing

/// Where `s3://` URIs go and with which keys, from the AWS SDKs' and KServe's variables.
@Suite struct S3SettingsTests {
    @Test func awsByDefaultVirtualHostedWhereTheBucketIsADNSLabel() throws {
        let settings = try S3Settings.from(environment: ["AWS_REGION": "eu-west-1", "HOME": "/nonexistent"])
        #expect(settings.credentials == nil)
        #expect(settings.provider == .instanceMetadata(endpoint: RequestURL("http://169.254.169.254")!))  // asked at fetch time only
        #expect(settings.url(bucket: "models", key: "v1/m odel.onnx").text == "https://models.s3.eu-west-1.amazonaws.com/v1/m%20odel.onnx")
        #expect(settings.url(bucket: "my.models", key: "m.onnx").text == "https://s3.eu-west-1.amazonaws.com/my.models/m.onnx")
        #expect(try S3Settings.from(environment: ["AWS_DEFAULT_REGION": "ap-south-1"]).region == "ap-south-1")
        #expect(try S3Settings.from(environment: [:]).region == "us-east-1")
    }

    @Test func endpointsArePathStyleAWSVariablesFirstThenKServes() throws {
        let minio = try S3Settings.from(environment: [
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "AWS_ENDPOINT_URL": "http://other:1", "S3_ENDPOINT": "x:2",
        ])
        #expect(minio.url(bucket: "models", key: "a+b.onnx").text == "http://127.0.0.1:9000/models/a%2Bb.onnx")
        #expect(try S3Settings.from(environment: ["AWS_ENDPOINT_URL": "https://s3.local"]).endpoint?.text == "https://s3.local/")
        // KServe's storage secret: HOST:PORT, https unless S3_USE_HTTPS=0.
        let kserve = try S3Settings.from(environment: ["S3_ENDPOINT": "minio-service.kubeflow:9000", "S3_USE_HTTPS": "0"])
        #expect(kserve.url(bucket: "b", key: "k").text == "http://minio-service.kubeflow:9000/b/k")
        #expect(try S3Settings.from(environment: ["S3_ENDPOINT": "minio:9000"]).url(bucket: "b", key: "k").text == "https://minio:9000/b/k")
        #expect(throws: LedgeError.usage("AWS_ENDPOINT_URL='minio:9000': expected http(s)://HOST[:PORT]")) {
            try S3Settings.from(environment: ["AWS_ENDPOINT_URL": "minio:9000"])
        }
        #expect(throws: LedgeError.usage("AWS_REGION='EU West': expected a region name such as eu-west-1")) {
            try S3Settings.from(environment: ["AWS_REGION": "EU West"])
        }
    }

    @Test func credentialsFromTheEnvironmentElseTheSharedFile() async throws {
        let env = try S3Settings.from(environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T"])
        #expect(env.credentials == AWSCredentials(accessKeyID: "AK", secretAccessKey: "S", sessionToken: "T"))
        #expect(throws: LedgeError.usage("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: expected both or neither")) {
            try S3Settings.from(environment: ["AWS_ACCESS_KEY_ID": "AK"])
        }
        try await withTemporaryDirectory(prefix: "ledge-aws") { home in
            try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
            let file = home + "/.aws/credentials"
            try """
            # keys
            [default]
            aws_access_key_id = AKDEFAULT
            aws_secret_access_key = SDEFAULT

            [edge]
            aws_access_key_id=AKEDGE
            aws_secret_access_key=SEDGE
            aws_session_token = TEDGE
            """.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(
                try S3Settings.from(environment: ["HOME": home]).credentials == AWSCredentials(accessKeyID: "AKDEFAULT", secretAccessKey: "SDEFAULT"))
            #expect(
                try S3Settings.from(environment: ["HOME": home, "AWS_PROFILE": "edge"]).credentials
                    == AWSCredentials(accessKeyID: "AKEDGE", secretAccessKey: "SEDGE", sessionToken: "TEDGE"))
            #expect(try S3Settings.from(environment: ["HOME": "/", "AWS_SHARED_CREDENTIALS_FILE": file]).credentials?.accessKeyID == "AKDEFAULT")
            #expect(throws: LedgeError.usage("\(file): profile 'gone' has no aws_access_key_id and aws_secret_access_key")) {
                try S3Settings.from(environment: ["HOME": home, "AWS_PROFILE": "gone"])
            }
            // The environment's keys win over the file's.
            #expect(
                try S3Settings.from(environment: ["HOME": home, "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S"]).credentials?.accessKeyID
                    == "AK")
        }
    }

    @Test func s3URIsParse() throws {
        let uri = try ModelURI(parsing: "s3://models/v2/team a/effnet.tflite#sha256=" + String(repeating: "ab", count: 32))
        #expect(uri.location == .s3(bucket: "models", key: "v2/team a/effnet.tflite"))
        #expect(uri.fileName == "effnet.tflite")
        #expect(uri.description == "s3://models/v2/team a/effnet.tflite")
        for bad in ["s3://models", "s3://models/", "s3://ab/m.onnx", "s3://-bad/m.onnx", "s3://models/dir/"] {
            #expect(
                throws: LedgeError.usage(
                    "model URI '\(bad)': expected s3://BUCKET/KEY (a bucket of 3-63 letters, digits, '.', '-' or '_', and an object key)")
            ) { try ModelURI(parsing: bad) }
        }
    }

    /// The SDKs' order: keys, then web identity, then the shared file, then the container endpoint.
    @Test func credentialSourcesComeInTheSDKsOrder() async throws {
        try await withTemporaryDirectory(prefix: "ledge-aws") { home in
            try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
            try "[default]\naws_access_key_id = AKFILE\naws_secret_access_key = SFILE\n".write(
                toFile: home + "/.aws/credentials", atomically: true, encoding: .utf8)
            let web = ["AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r", "AWS_REGION": "eu-west-1"]
            let container = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]
            let keys = ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S"]
            let all = try S3Settings.from(environment: web.merging(container) { $1 }.merging(keys) { $1 }.merging(["HOME": home]) { $1 })
            #expect(all.credentials?.accessKeyID == "AK" && all.provider == nil)
            let webFirst = try S3Settings.from(environment: web.merging(container) { $1 }.merging(["HOME": home]) { $1 })
            #expect(webFirst.credentials == nil)
            #expect(
                webFirst.provider
                    == .webIdentity(
                        role: "arn:aws:iam::1:role/r", tokenFile: "/var/run/token", session: "ledge",
                        sts: RequestURL(secure: true, host: "sts.eu-west-1.amazonaws.com", port: 443, target: "/")))
            let fileFirst = try S3Settings.from(environment: container.merging(["HOME": home]) { $1 })
            #expect(fileFirst.credentials?.accessKeyID == "AKFILE" && fileFirst.provider == nil)
            let containerLast = try S3Settings.from(environment: container.merging(["HOME": "/nonexistent"]) { $1 })
            #expect(containerLast.provider == .container(url: RequestURL("http://169.254.170.2/v2/credentials/abc")!, token: nil, tokenFile: nil))
            #expect(throws: LedgeError.usage("AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN: expected the role to assume")) {
                try S3Settings.from(environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": "/t"])
            }
        }
    }

    /// `Expiration` as AWS writes it (STS, the container endpoint, IMDS), in seconds since 1970.
    @Test func expirationTimes() {
        #expect(AWSCredentialProvider.epochSeconds("1970-01-01T00:00:00Z") == 0)
        #expect(AWSCredentialProvider.epochSeconds("2026-12-06T09:05:00Z") == 1_796_547_900)
        #expect(AWSCredentialProvider.epochSeconds("2000-02-29T12:00:00.123Z") == 951_825_600)
        #expect(AWSCredentialProvider.epochSeconds("1999-12-31T23:59:59Z") == 946_684_799)
        for bad in ["2026-12-06 09:05:00Z", "2026-13-06T09:05:00Z", "2026-12-06T09:05:00", "2026-12-06T09:05:00+01:00", ""] {
            #expect(AWSCredentialProvider.epochSeconds(bad) == nil, "\(bad)")
        }
    }
}
