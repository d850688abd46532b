import Foundation

/// A user name and password for a registry's HTTP basic auth.
public struct RegistryCredentials: Sendable, Hashable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// The pair the tests use unless they need another.
    public static let test = RegistryCredentials(user: "ledge", password: "s3cret-pass")

    /// `user:password`, as skopeo's `--creds`, `--src-creds` and `--dest-creds` take it.
    public var colonSeparated: String { user + ":" + password }

    /// The value of an `Authorization` header for these credentials.
    public var basicAuthorization: String { "Basic " + Data(colonSeparated.utf8).base64EncodedString() }
}

/// One line of the registry's access log (the Apache combined format that docker-registry
/// 2.8 writes for every request once it has answered it).
public struct RegistryRequest: Sendable, Hashable, CustomStringConvertible {
    /// `GET`, `HEAD`, `POST`, `PATCH`, `PUT`, `DELETE`.
    public var method: String
    /// The request target: path and query, e.g. `/v2/x/y/blobs/uploads/UUID?_state=…`.
    public var target: String
    /// The status the registry answered.
    public var status: Int

    /// The target without its query.
    public var path: String { String(target.prefix { $0 != "?" }) }

    public var description: String { "\(method) \(target) \(status)" }

    /// Parses `127.0.0.1 - - [02/Dec/2026:05:59:05 +0000] "POST /v2/x/y/blobs/uploads/ HTTP/1.1" 202 0 "" "skopeo/1.9.3"`;
    /// `nil` for any other line (the registry's own `time=… level=… msg=…` lines).
    init?(accessLogLine line: Substring) {
        guard let open = line.range(of: "] \"") else { return nil }
        let rest = line[open.upperBound...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        let request = rest[..<close].split(separator: " ")
        let after = rest[rest.index(after: close)...].split(separator: " ")
        guard request.count == 3, let status = after.first.flatMap({ Int($0) }) else { return nil }
        method = String(request[0])
        target = String(request[1])
        self.status = status
    }
}

/// A real OCI registry for push tests: Debian's docker-registry (CNCF distribution 2.8)
/// serving `127.0.0.1:PORT` over plain HTTP, storing blobs in a temporary folder, with htpasswd
/// (bcrypt) basic auth for one user, or no auth.
///
/// Everything it makes lives in ``directory`` (config, htpasswd, storage, log) and is removed by
/// ``stop()``; prefer ``withRegistry(credentials:isolation:_:)``, which stops it even when the
/// test throws. A missing `/usr/bin/docker-registry` is an error, not a skip: CI installs it.
///
/// The log (standard output and error together, ``logPath``) holds the registry's own lines
/// (`time="…" level=info msg="…" http.request.method=… …`) and an access log line for every
/// answered request, e.g.
/// `127.0.0.1 - - [02/Dec/2026:05:59:05 +0000] "POST /v2/x/y/blobs/uploads/ HTTP/1.1" 202 0 "" "skopeo/1.9.3"`;
/// ``requests()`` parses the latter.
public final class RegistryProcess: @unchecked Sendable {
    /// Where Debian's docker-registry package installs the server.
    public static let executable = "/usr/bin/docker-registry"

    /// `127.0.0.1:PORT`, for references such as `127.0.0.1:PORT/ledge/effnet:1`.
    public let host: String
    /// The port it listens on.
    public let port: Int
    /// The user and password it accepts; `nil` when it runs without auth.
    public let credentials: RegistryCredentials?
    /// The temporary folder with `config.yml`, `htpasswd`, `storage/` and `registry.log`.
    public let directory: String
    /// The registry's standard output and error.
    public var logPath: String { directory + "/registry.log" }

    private let server: BackgroundProcess
    private let lock = NSLock()
    private var stopped = false

    private init(host: String, port: Int, credentials: RegistryCredentials?, directory: String, server: BackgroundProcess) {
        self.host = host
        self.port = port
        self.credentials = credentials
        self.directory = directory
        self.server = server
    }

    deinit { stop() }

    /// Starts a registry on a free loopback port and returns once `GET /v2/` answers (401 with
    /// auth, 200 without). With `credentials` (default ``RegistryCredentials/test``), every
    /// request needs them; `nil` runs without auth.
    public static func start(credentials: RegistryCredentials? = .test) async throws -> RegistryProcess {
        try Tool.require(executable, debianPackage: "docker-registry")
        let directory = try makeTemporaryDirectory(prefix: "ledge-registry")
        do {
            if let credentials {
                try Tool.require("/usr/bin/htpasswd", debianPackage: "apache2-utils")
                // docker-registry accepts bcrypt entries only (-B).
                _ = try await Tool.run(
                    "/usr/bin/htpasswd", ["-Bbc", directory + "/htpasswd", credentials.user, credentials.password], environment: [:])
            }
            // The port is free when picked but may be taken before the registry binds it: retry.
            for _ in 0..<5 {
                let port = try freeLoopbackPort()
                try config(directory: directory, port: port, auth: credentials != nil).write(
                    toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
                let logPath = directory + "/registry.log"
                // A clean environment: REGISTRY_* variables would override the configuration.
                let server = try BackgroundProcess(
                    executable, ["serve", directory + "/config.yml"], environment: ["PATH": "/usr/bin:/bin"],
                    stdoutPath: logPath, stderrPath: logPath)
                let registry = RegistryProcess(
                    host: "127.0.0.1:\(port)", port: port, credentials: credentials, directory: directory, server: server)
                let expected = credentials == nil ? 200 : 401
                var lastStatus: Int?
                // 60 s: in a loaded clean-clone run one registry printed its first log line 20 s after its start.
                let ready = await waitUntil(timeout: .seconds(60)) {
                    guard server.isRunning else { return true }
                    lastStatus = await registry.unauthorizedStatus(of: "/v2/")
                    return lastStatus == expected
                }
                if ready && server.isRunning { return registry }
                let log = registry.log()
                registry.stopProcess()
                if log.contains("address already in use") { continue }
                throw HarnessError(
                    "docker-registry did not become ready on 127.0.0.1:\(port) (GET /v2/ answered \(lastStatus.map(String.init) ?? "nothing"), "
                        + "expected \(expected)); log:\n\(log)")
            }
            throw HarnessError("docker-registry: no free port after 5 tries")
        } catch {
            removeTemporaryDirectory(directory)
            throw error
        }
    }

    /// Runs `body` with a started registry and stops it afterwards, also when `body` throws.
    public static func withRegistry<T>(
        credentials: RegistryCredentials? = .test, isolation: isolated (any Actor)? = #isolation,
        _ body: (RegistryProcess) async throws -> T
    ) async throws -> T {
        let registry = try await start(credentials: credentials)
        defer { registry.stop() }
        return try await body(registry)
    }

    private static func config(directory: String, port: Int, auth: Bool) -> String {
        var text = """
            version: 0.1
            log:
              level: info
              formatter: text
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: \(directory)/storage
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:\(port)
              secret: ledge-test-\(UUID().uuidString)

            """
        if auth {
            text += """
                auth:
                  htpasswd:
                    realm: ledge-test
                    path: \(directory)/htpasswd

                """
        }
        return text
    }

    /// Everything the registry has written so far (standard output and error).
    public func log() -> String { BackgroundProcess.text(logPath) }

    /// The requests the registry has answered, in the order it logged them. Each line is
    /// written once the answer is sent, so a client may see its answer a moment before the line
    /// exists: this waits until the log has not grown for 100 ms (at most 2 s) before reading.
    public func requests() async -> [RegistryRequest] {
        var size = -1
        _ = await waitUntil(timeout: .seconds(2), interval: .milliseconds(100)) {
            let now = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0
            defer { size = now }
            return now == size
        }
        return log().split(separator: "\n").compactMap { RegistryRequest(accessLogLine: $0) }
    }

    /// How many blob uploads the registry started: `POST /v2/NAME/blobs/uploads/` requests it
    /// answered 202 (an upload session opened) or 201 without `mount=` (a monolithic upload in
    /// one POST). Refused POSTs (401 before credentials, 404, 5xx) and successful cross-repository
    /// mounts (201 with `mount=`) move no blob data and are not counted.
    public func blobUploadCount() async -> Int {
        await requests().filter(\.isBlobUploadStart).count
    }

    /// The tags of `repository` (e.g. `ledge/effnet`) through `GET /v2/REPOSITORY/tags/list`
    /// with the registry's credentials, sorted; `[]` when the registry does not know the
    /// repository.
    public func tags(repository: String) async throws -> [String] {
        let path = "/v2/\(repository)/tags/list"
        let response = try await LoopbackHTTP.request("GET", port: port, path: path, headers: authorizationHeader)
        if response.status == 404 { return [] }
        guard response.status == 200 else {
            throw HarnessError("GET http://\(host)\(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        struct TagList: Decodable { var tags: [String]? }
        return (try JSONDecoder().decode(TagList.self, from: response.body).tags ?? []).sorted()
    }

    /// Stops the registry (SIGTERM, then SIGKILL after 10 s) and removes ``directory``. Safe to call twice.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        server.stop()
        removeTemporaryDirectory(directory)
    }

    private func stopProcess() {
        lock.withLock { stopped = true }
        server.stop()
    }

    private var authorizationHeader: [String: String] {
        credentials.map { ["Authorization": $0.basicAuthorization] } ?? [:]
    }

    /// The status `GET path` answers (without credentials), `nil` when the connection fails.
    private func unauthorizedStatus(of path: String) async -> Int? {
        try? await LoopbackHTTP.request("GET", port: port, path: path, timeout: 2).status
    }
}

extension RegistryRequest {
    /// True for a request that started a blob upload (see ``RegistryProcess/blobUploadCount()``).
    public var isBlobUploadStart: Bool {
        guard method == "POST", path.hasPrefix("/v2/"), path.hasSuffix("/blobs/uploads/") || path.hasSuffix("/blobs/uploads") else {
            return false
        }
        return status == 202 || (status == 201 && !target.contains("mount="))
    }
}
