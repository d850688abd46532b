import Foundation
import LedgeTesting
import Testing

/// `ledge serve` with models from URIs: `--model-uri` beside `-m`, and a repository model whose
/// config.pbtxt names its file with `parameters { key: "uri" … }` (a wrong pin leaves it UNAVAILABLE).
@Suite(.ownThread) struct ModelURIServeTests {
    static func sha256(_ path: String) throws -> String {
        let result = try ProcessRunner.run("/usr/bin/sha256sum", [path])
        return String(result.stdout.prefix(64))
    }

    @Test func modelsFromURIsServe() async throws {
        let folder = try TemporaryFolder()
        let add = Fixtures.model("add.onnx")
        let pin = try Self.sha256(add)
        let wrong = String(repeating: "0", count: 64)
        for (name, uri) in [("good", "file://\(add)#sha256=\(pin)"), ("pinned_wrong", "file://\(add)#sha256=\(wrong)")] {
            try FileManager.default.createDirectory(atPath: "\(folder.path)/repository/\(name)", withIntermediateDirectories: true)
            try "parameters { key: \"uri\" value: { string_value: \"\(uri)\" } }\n".write(
                toFile: "\(folder.path)/repository/\(name)/config.pbtxt", atomically: true, encoding: .utf8)
        }
        let server = try await ServeProcess.start([
            "--model-repository", folder.path + "/repository", "--model-cache", folder.path + "/cache", "--probe-cache", "none",
        ])
        let index = try RepositoryIndex.fetchAll(port: server.port)
        #expect(index["good"]?.state == "READY")
        #expect(index["pinned_wrong"]?.state == "UNAVAILABLE")
        #expect(index["pinned_wrong"]?.reason == "file://\(add): sha256 is \(pin), expected \(wrong) (the #sha256= pin)")
        try await server.terminate()

        let direct = try await ServeProcess.start([
            "--model-uri", "file://\(add)#sha256=\(pin)", "--model-cache", folder.path + "/cache", "--probe-cache", "none",
        ])
        #expect(try RepositoryIndex.fetchAll(port: direct.port)["add"]?.state == "READY")
        try await direct.terminate()
    }

    /// An https model URI is verified against `SSL_CERT_FILE` and `SSL_CERT_DIR` when they are set
    /// (a company's CA, as OpenSSL's tools take them): refused without them, a file or folders
    /// without a certificate named, served with the CA in either (in a folder beside a file that is
    /// not PEM, the second of two folders).
    @Test func httpsModelURIsVerifyAgainstSSLCertFileAndDir() async throws {
        let folder = try TemporaryFolder()
        let certificates = try TestCertificates()
        let models = (Fixtures.model("add.onnx") as NSString).deletingLastPathComponent
        try await FixtureHTTPServer.withServer(root: models, tls: (certificates.certificate, certificates.key)) { files in
            let uri = files.baseURL + "/files/add.onnx"
            let arguments = ["--model-uri", uri, "--model-cache", folder.path + "/cache", "--probe-cache", "none"]
            let empty = folder.path + "/empty.pem"
            try "".write(toFile: empty, atomically: true, encoding: .utf8)
            let (none, roots) = (folder.path + "/none", folder.path + "/roots")
            for path in [none, roots] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            try "not a certificate\n".write(toFile: roots + "/README", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: certificates.ca, toPath: roots + "/company-ca.pem")
            for (environment, line) in [
                (["SSL_CERT_FILE": "", "SSL_CERT_DIR": ""], "error: \(uri): the server's certificate does not verify against the trust roots"),
                (["SSL_CERT_FILE": empty, "SSL_CERT_DIR": ""], "error: \(uri): SSL_CERT_FILE=\(empty): no PEM certificate could be read"),
                (["SSL_CERT_FILE": "", "SSL_CERT_DIR": none], "error: \(uri): SSL_CERT_DIR=\(none): no PEM certificate in its folders"),
            ] {
                let result = try ProcessRunner.ledge(["serve", "--port", "0"] + arguments, environment: environment)
                #expect(result.status == 4)
                #expect(result.stderr.split(separator: "\n").last.map(String.init) == line, "\(result.stderr)")
            }
            let server = try await ServeProcess.start(arguments, environment: ["SSL_CERT_FILE": certificates.ca, "SSL_CERT_DIR": ""])
            #expect(try RepositoryIndex.fetchAll(port: server.port)["add"]?.state == "READY")
            try await server.terminate()
            #expect(files.requests().filter { $0.hasPrefix("GET /files/add.onnx") }.count == 1)
            let fromFolder = try await ServeProcess.start(
                ["--model-uri", uri, "--model-cache", folder.path + "/cache2", "--probe-cache", "none"],
                environment: ["SSL_CERT_FILE": "", "SSL_CERT_DIR": none + ":" + roots])
            #expect(try RepositoryIndex.fetchAll(port: fromFolder.port)["add"]?.state == "READY")
            try await fromFolder.terminate()
            #expect(files.requests().filter { $0.hasPrefix("GET /files/add.onnx") }.count == 2)
        }
    }

    /// `hf://` URIs with huggingface_hub's variables: a gated repository's file served with
    /// `HF_TOKEN` (sent to the Hub, not to its CDN), refused in one line with the Hub's reason without it.
    @Test func huggingFaceModelURIsServeWithTheHubsVariables() async throws {
        let folder = try TemporaryFolder()
        let repository = folder.path + "/served/hub/acme/adder"
        try FileManager.default.createDirectory(atPath: repository + "/main", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: repository + "/main/add.onnx")
        try "hf_serve_token".write(toFile: repository + "/.gated", atomically: true, encoding: .utf8)
        try await FixtureHTTPServer.withServer(root: folder.path + "/served") { hub in
            let arguments = ["--model-uri", "hf://acme/adder/add.onnx", "--model-cache", folder.path + "/cache", "--probe-cache", "none"]
            let environment = ["HF_ENDPOINT": hub.baseURL + "/hub", "HOME": folder.path]
            let refused = try ProcessRunner.ledge(["serve", "--port", "0"] + arguments, environment: environment)
            #expect(refused.status == 4)
            #expect(
                refused.stderr.split(separator: "\n").last.map(String.init)
                    == "error: hf://acme/adder/add.onnx: listing the repository: HTTP 401: GatedRepo: Access to model acme/adder is restricted. You must have access to it and be authenticated to access it. Please log in.",
                "\(refused.stderr)")
            let server = try await ServeProcess.start(arguments, environment: environment.merging(["HF_TOKEN": "hf_serve_token"]) { $1 })
            #expect(try RepositoryIndex.fetchAll(port: server.port)["add"]?.state == "READY")
            try await server.terminate()
            #expect(
                hub.hubRequests().suffix(3) == [
                    "HUB API acme/adder@main authorization=yes",
                    "HUB acme/adder@b28b7af69320201d1cf206ebf28373980add1451/add.onnx authorization=yes",  // at the listed commit
                    "CDN /cdn/hub/acme/adder/main/add.onnx authorization=no",
                ])
        }
    }

    /// `s3://` URIs with the AWS SDKs' variables, against a loopback S3-compatible server that
    /// checks each signature with botocore: served with the right keys, refused in one line
    /// naming the URI and S3's code (exit 4) with a wrong secret.
    @Test func s3ModelURIsServeWithTheAWSVariables() async throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path + "/store/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: folder.path + "/store/models/add.onnx")
        try await FixtureHTTPServer.withS3Server(root: folder.path + "/store", accessKey: "AKIDSERVE", secret: "serve-secret") { store in
            let arguments = ["--model-uri", "s3://models/add.onnx", "--model-cache", folder.path + "/cache", "--probe-cache", "none"]
            var environment = ["AWS_ENDPOINT_URL": store.baseURL, "AWS_ACCESS_KEY_ID": "AKIDSERVE", "AWS_SECRET_ACCESS_KEY": "wrong"]
            let refused = try ProcessRunner.ledge(["serve", "--port", "0"] + arguments, environment: environment)
            #expect(refused.status == 4)
            #expect(
                refused.stderr.split(separator: "\n").last.map(String.init)
                    == "error: s3://models/add.onnx: HTTP 403 Forbidden: SignatureDoesNotMatch: The request signature we calculated "
                    + "does not match the signature you provided. Check your key and signing method.",
                "\(refused.stderr)")
            environment["AWS_SECRET_ACCESS_KEY"] = "serve-secret"
            let server = try await ServeProcess.start(arguments, environment: environment)
            #expect(try RepositoryIndex.fetchAll(port: server.port)["add"]?.state == "READY")
            try await server.terminate()
            #expect(store.s3Outcomes().map { $0.split(separator: " ").last.map(String.init) ?? "" } == ["SignatureDoesNotMatch", "200"])
        }
    }
}
