import Foundation

/// A loopback file server for fetch tests (`scripts/fixture_http_server.py`): serves a folder
/// under `/files/`, honours `Range`, answers 404 under `/missing/`, cuts the first download of
/// each path under `/cut/` half-way, and redirects `/redirect/N/PATH` N times. It logs every
/// request; ``requests()`` returns them as `METHOD PATH RANGE` (`-` without a Range header).
///
/// Started like ``FaultyRegistryProcess`` (which it runs with another script); prefer
/// ``withServer(root:isolation:_:)``, which stops it even when the test throws.
public final class FixtureHTTPServer: @unchecked Sendable {
    private let process: FaultyRegistryProcess
    private let scheme: String

    private init(process: FaultyRegistryProcess, scheme: String) {
        self.process = process
        self.scheme = scheme
    }

    /// `http://127.0.0.1:PORT`, or `https://…` for a server started with a certificate.
    public var baseURL: String { scheme + "://" + process.host }

    /// Every request so far, as `METHOD PATH RANGE`, in order.
    public func requests() -> [String] { process.requests() }

    /// Its Cloud Storage, token and metadata lines (`GCS bucket/object token=…`, `TOKEN …`, `METADATA token`), in order.
    public func gcsRequests() -> [String] {
        process.log().split(separator: "\n").filter { $0.hasPrefix("GCS ") || $0.hasPrefix("TOKEN ") || $0.hasPrefix("METADATA ") }
            .map(String.init)
    }

    /// What the Hub and its CDN were asked (`/hub/…`, `/cdn/…`), as `HUB OWNER/REPO@REVISION/PATH
    /// authorization=yes|no` and `CDN PATH authorization=yes|no`.
    public func hubRequests() -> [String] {
        process.log().split(separator: "\n").filter { $0.hasPrefix("HUB ") || $0.hasPrefix("CDN ") }.map(String.init)
    }

    /// The cuts so far, as `PATH after N bytes`.
    public func cuts() -> [String] {
        process.log().split(separator: "\n").filter { $0.hasPrefix("CUT ") }.map { String($0.dropFirst(4)) }
    }

    /// Stops the server and removes its folder (not `root`). Safe to call twice.
    public func stop() { process.stop() }

    /// Runs `body` with a server for `root` and stops it afterwards, also when `body` throws;
    /// over HTTPS with `tls` (a PEM certificate and its key, e.g. ``TestCertificates``').
    public static func withServer<T>(
        root: String, tls: (certificate: String, key: String)? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: (FixtureHTTPServer) async throws -> T
    ) async throws -> T {
        let arguments = [root] + (tls.map { [$0.certificate, $0.key] } ?? [])
        let server = FixtureHTTPServer(
            process: try await FaultyRegistryProcess.start(script: "fixture_http_server.py", arguments: arguments),
            scheme: tls == nil ? "http" : "https")
        defer { server.stop() }
        return try await body(server)
    }

    /// Runs `body` with `scripts/s3_fixture_server.py` for `root` (its folders are buckets,
    /// `public` readable unsigned): requests must be signed for `accessKey`/`secret` (and carry
    /// `token` when given) in `region`, as botocore's SigV4 signer checks. ``s3Outcomes()``
    /// lists what it answered.
    public static func withS3Server<T>(
        root: String, accessKey: String, secret: String, token: String? = nil, region: String = "us-east-1",
        isolation: isolated (any Actor)? = #isolation, _ body: (FixtureHTTPServer) async throws -> T
    ) async throws -> T {
        let arguments = [root, accessKey, secret] + (token.map { [$0] } ?? []) + ["--region", region]
        let server = FixtureHTTPServer(
            process: try await FaultyRegistryProcess.start(script: "s3_fixture_server.py", arguments: arguments), scheme: "http")
        defer { server.stop() }
        return try await body(server)
    }

    /// The S3 server's lines of its credential endpoints: `STS ROLE -> ok|AccessDenied`,
    /// `CONTAINER -> ok|denied`, `IMDS PATH -> ok|denied`, in order.
    public func credentialRequests() -> [String] {
        process.log().split(separator: "\n").filter { $0.hasPrefix("STS ") || $0.hasPrefix("CONTAINER ") || $0.hasPrefix("IMDS ") }
            .map(String.init)
    }

    /// What the S3 server answered, as `METHOD PATH signed=HEADERS -> OUTCOME` (`-` for an
    /// unsigned request; `200` or S3's error code).
    public func s3Outcomes() -> [String] {
        process.log().split(separator: "\n").filter { $0.hasPrefix("S3 ") }.map { String($0.dropFirst(3)) }
    }

    /// Writes the archives of `scripts/make_fetch_archives.py` (good, zip-slip, symlink, oversized)
    /// into `folder`, the good ones holding `model`.
    public static func makeArchives(in folder: String, model: String) async throws {
        let venvPython = Fixtures.home + "/venv/bin/python"
        let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "/usr/bin/python3"
        let log = folder + "/.make_fetch_archives.log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try BackgroundProcess(
            python, [Fixtures.packageRoot + "/scripts/make_fetch_archives.py", folder, model], environment: ["PATH": "/usr/bin:/bin"],
            stdoutPath: log, stderrPath: log)
        defer { child.stop() }
        _ = await waitUntil(timeout: .seconds(300)) { !child.isRunning }
        guard let exit = child.exit, exit == ProcessExit(status: 0, signaled: false) else {
            throw HarnessError("make_fetch_archives.py failed (\(child.exit.map(\.description) ?? "still running")): \(BackgroundProcess.text(log))")
        }
    }
}
