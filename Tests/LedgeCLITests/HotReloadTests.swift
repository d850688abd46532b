import Foundation
import LedgeTesting
import Testing

/// `ledge serve --model-control-mode poll` under load: 8 clients send requests without pause while
/// versions are dropped into the repository — a good one (answers switch to it with no failed
/// request), a corrupt one and one that crashes the runtime (the probe's child dies, the server
/// does not; the previous version keeps serving and the index says why).
@Suite(.ownThread) struct HotReloadTests {
    /// `add` version `version` (add.onnx: sum = a + b, add_one.onnx: a + b + 1, or a bad file),
    /// written beside the repository and renamed into it, so a poll never sees half a file.
    static func drop(_ file: String, into folder: TemporaryFolder, version: Int, as name: String = "model.onnx") throws {
        let staging = "\(folder.path)/staging-\(version)"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: "\(staging)/\(name)")
        try FileManager.default.moveItem(atPath: staging, toPath: "\(folder.path)/repository/add/\(version)")
    }

    @Test func versionsDroppedInWhileServingNeverFailARequest() async throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path + "/repository/add", withIntermediateDirectories: true)
        try Self.drop(Fixtures.model("add.onnx"), into: folder, version: 1)
        let server = try await ServeProcess.start([
            "--model-repository", folder.path + "/repository", "--model-control-mode", "poll", "--repository-poll-secs", "0.1",
            "--instances", "2", "--probe-cache", "none",
        ])
        let clients = (0..<8).map { _ in AddClient(port: server.port) }
        for client in clients { client.start() }
        func answered() -> Int { clients.map(\.count).reduce(0, +) }
        func wait(_ what: String, until condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(condition(), "timed out waiting for \(what); server log: \(server.stderr.suffix(2000))")
        }
        try await wait("200 answers from version 1") { answered() >= 200 }
        let swapStart = ContinuousClock.now
        try Self.drop(Fixtures.model("add_one.onnx"), into: folder, version: 2)
        try await wait("answers from version 2") { clients.allSatisfy { $0.lastVersion == "2" } }
        let swapEnd = ContinuousClock.now
        let afterSwap = answered()
        try await wait("200 more answers") { answered() >= afterSwap + 200 }

        try Self.drop(Fixtures.model("truncated.onnx"), into: folder, version: 3)
        try await wait("version 3 listed UNAVAILABLE") { (try? RepositoryIndex.fetch(port: server.port))?["3"]?.state == "UNAVAILABLE" }
        let corrupt = try RepositoryIndex.fetch(port: server.port)
        #expect(corrupt["2"]?.state == "READY")
        #expect(corrupt["3"]?.reason?.contains("/repository/add/3/model.onnx") == true, "\(corrupt["3"]?.reason ?? "")")
        try Self.drop(try BadModels.path("crash_runtime.tflite"), into: folder, version: 4, as: "model.tflite")
        try await wait("version 4 listed UNAVAILABLE") { (try? RepositoryIndex.fetch(port: server.port))?["4"]?.state == "UNAVAILABLE" }
        let afterBad = answered()
        try await wait("200 more answers after the bad versions") { answered() >= afterBad + 200 }

        var outcomes: [AddClient.Outcome] = []
        for client in clients { outcomes += await client.stop() }
        let index = try RepositoryIndex.fetch(port: server.port)
        #expect(server.process.isRunning, "the server died; log: \(server.stderr.suffix(2000))")
        try await server.terminate()
        #expect(server.exitedCleanly, "the server did not exit 0; log: \(server.stderr.suffix(2000))")

        let failures = outcomes.filter { $0.failure != nil }
        #expect(failures.isEmpty, "\(failures.count) of \(outcomes.count) requests failed, e.g. \(failures.prefix(3).map { $0.failure ?? "" })")
        // Each version answers with its own outputs; after the switch, only version 2 answers.
        #expect(outcomes.allSatisfy { ($0.version == "1" && $0.sum == [2, 3, 4, 5]) || ($0.version == "2" && $0.sum == [3, 4, 5, 6]) })
        #expect(outcomes.filter { $0.start > swapEnd }.allSatisfy { $0.version == "2" })
        #expect(index["1"]?.state == "UNAVAILABLE" && index["1"]?.reason == "unloaded" && index["2"]?.state == "READY")
        let crash = index["4"]?.reason ?? ""
        #expect(crash.hasPrefix(folder.path + "/repository/add/4/model.tflite: "), "\(crash)")
        #expect(crash.contains("SIGSEGV") || crash.contains("signal"), "\(crash)")

        // Measured, not asserted: the slowest request while version 2 was swapped in against the steady p99.
        let steady = outcomes.filter { $0.start < swapStart }.map(\.duration).sorted()
        let during = outcomes.filter { $0.start >= swapStart && $0.start <= swapEnd }.map(\.duration)
        let p99 = steady.isEmpty ? .zero : steady[min(steady.count - 1, steady.count * 99 / 100)]
        print("hot swap: \(outcomes.count) requests; steady p99 \(p99), slowest during the swap \(during.max() ?? .zero) (\(during.count) requests)")
    }
}

/// The repository index of a server on `port`, by version of model `add`.
enum RepositoryIndex {
    struct Entry: Decodable {
        var name: String
        var version: String?
        var state: String?
        var reason: String?
    }

    static func fetch(port: Int) throws -> [String: Entry] {
        Dictionary(try entries(port: port).filter { $0.name == "add" }.map { ($0.version ?? "-", $0) }, uniquingKeysWith: { $1 })
    }

    /// Every model's last entry, by name.
    static func fetchAll(port: Int) throws -> [String: Entry] {
        Dictionary(try entries(port: port).map { ($0.name, $0) }, uniquingKeysWith: { $1 })
    }

    static func entries(port: Int) throws -> [Entry] {
        let connection = try RawConnection(port: port)
        _ = connection.send("POST /v2/repository/index HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        let (bytes, _) = connection.receiveAll(timeout: .seconds(10))
        return try JSONDecoder().decode([Entry].self, from: Data((RawConnection.parse(bytes)?.body ?? "").utf8))
    }
}

/// A client sending `add` requests (a = [1,2,3,4], b = [1,1,1,1]) without pause on a kept-alive connection.
final class AddClient: @unchecked Sendable {
    struct Outcome {
        var start: ContinuousClock.Instant
        var duration: Duration = .zero
        var version: String?
        var sum: [Float] = []
        var failure: String?
    }

    private let port: Int
    private let lock = NSLock()
    private var outcomes: [Outcome] = []
    private var stopping = false
    private var finished = false
    private var connection: RawConnection?

    init(port: Int) { self.port = port }

    var count: Int { lock.withLock { outcomes.count } }
    var lastVersion: String? { lock.withLock { outcomes.last?.version } }

    func start() {
        Thread {
            while !self.lock.withLock({ self.stopping }) {
                let outcome = self.request()
                self.lock.withLock { self.outcomes.append(outcome) }
            }
            self.lock.withLock { self.finished = true }
        }.start()
    }

    func stop() async -> [Outcome] {
        lock.withLock { stopping = true }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
        return lock.withLock { outcomes }
    }

    private func request() -> Outcome {
        var outcome = send()
        outcome.duration = .now - outcome.start
        return outcome
    }

    private func send() -> Outcome {
        var outcome = Outcome(start: .now)
        let body =
            #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"b","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}"#
        do {
            let connection = try self.connection ?? RawConnection(port: port)
            _ = connection.send("POST /v2/models/add/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let (bytes, complete) = connection.receiveResponse(timeout: .seconds(30))
            self.connection = complete ? connection : nil
            struct Response: Decodable {
                struct Output: Decodable { var data: [Float] }
                var model_version: String
                var outputs: [Output]
            }
            guard let response = RawConnection.parse(bytes), response.status == 200,
                let decoded = try? JSONDecoder().decode(Response.self, from: Data(response.body.utf8))
            else {
                outcome.failure = "complete: \(complete), received: \(String(decoding: bytes.prefix(300), as: UTF8.self))"
                return outcome
            }
            outcome.version = decoded.model_version
            outcome.sum = decoded.outputs.first?.data ?? []
        } catch {
            self.connection = nil
            outcome.failure = "connect: \(error)"
        }
        return outcome
    }
}

/// `--model-repository s3://BUCKET/PREFIX` in poll mode: the repository is a mirror of the
/// prefix (signed listings and downloads, checked by botocore's signer in the S3 fixture), and a
/// model added to or removed from the bucket is loaded or unloaded at the next poll.
@Suite(.ownThread) struct S3RepositoryServeTests {
    @Test func modelsAddedToAndRemovedFromTheBucketFollow() async throws {
        let folder = try TemporaryFolder()
        let store = folder.path + "/store"
        func put(_ model: String, _ key: String) throws { try putObject(model, at: store + "/" + key, staging: folder) }
        try put("add.onnx", "repo/prod/add/1/model.onnx")
        try await FixtureHTTPServer.withS3Server(root: store, accessKey: "AKIDPOLL", secret: "poll-secret") { s3 in
            let server = try await ServeProcess.start(
                [
                    "--model-repository", "s3://repo/prod", "--model-control-mode", "poll", "--repository-poll-secs", "0.2",
                    "--model-cache", folder.path + "/cache", "--probe-cache", "none",
                ],
                environment: ["AWS_ENDPOINT_URL": s3.baseURL, "AWS_ACCESS_KEY_ID": "AKIDPOLL", "AWS_SECRET_ACCESS_KEY": "poll-secret"])
            try await followsBucket(
                server, put: { try put("mobilenet_gen.onnx", "repo/prod/mobilenet/1/model.onnx") },
                remove: { try FileManager.default.removeItem(atPath: store + "/repo/prod/add") })
            try await server.terminate()
            #expect(s3.s3Outcomes().contains { $0.hasPrefix("LIST repo prod/ signed=host;x-amz-content-sha256;x-amz-date -> ") })
            #expect(s3.s3Outcomes().filter { $0.hasPrefix("GET ") }.count == 2)  // each object downloaded once

            // Explicit mode: a load request syncs first, so a model just put in the bucket loads.
            let explicit = try await ServeProcess.start(
                [
                    "--model-repository", "s3://repo/prod", "--model-control-mode", "explicit", "--load-model", "mobilenet", "--model-cache",
                    folder.path + "/cache2",
                    "--probe-cache", "none",
                ],
                environment: ["AWS_ENDPOINT_URL": s3.baseURL, "AWS_ACCESS_KEY_ID": "AKIDPOLL", "AWS_SECRET_ACCESS_KEY": "poll-secret"])
            try put("add.onnx", "repo/prod/fresh/1/model.onnx")
            let connection = try RawConnection(port: explicit.port)
            _ = connection.send("POST /v2/repository/models/fresh/load HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            let (bytes, _) = connection.receiveAll(timeout: .seconds(30))
            #expect(RawConnection.parse(bytes)?.status == 200, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try RepositoryIndex.fetchAll(port: explicit.port)["fresh"]?.state == "READY")
            try await explicit.terminate()
        }
    }
}

/// `--model-repository gs://BUCKET/PREFIX` in poll mode against the loopback Cloud Storage
/// (`STORAGE_EMULATOR_HOST`), the token from its metadata server (`GCE_METADATA_HOST`, as on
/// GKE): a model put in the bucket loads at the next poll, one removed unloads.
@Suite(.ownThread) struct GCSRepositoryServeTests {
    @Test func modelsAddedToAndRemovedFromTheBucketFollow() async throws {
        let folder = try TemporaryFolder()
        let bucket = folder.path + "/served/gcs/repo"
        func put(_ model: String, _ name: String) throws { try putObject(model, at: bucket + "/" + name, staging: folder) }
        try put("add.onnx", "prod/add/1/model.onnx")
        try await FixtureHTTPServer.withServer(root: folder.path + "/served") { gcs in
            let host = gcs.baseURL.replacingOccurrences(of: "http://", with: "")
            let server = try await ServeProcess.start(
                [
                    "--model-repository", "gs://repo/prod", "--model-control-mode", "poll", "--repository-poll-secs", "0.2",
                    "--model-cache", folder.path + "/cache", "--probe-cache", "none",
                ],
                environment: ["STORAGE_EMULATOR_HOST": host, "GCE_METADATA_HOST": host, "GOOGLE_APPLICATION_CREDENTIALS": ""])
            try await followsBucket(
                server, put: { try put("mobilenet_gen.onnx", "prod/mobilenet/1/model.onnx") },
                remove: { try FileManager.default.removeItem(atPath: bucket + "/prod/add") })
            try await server.terminate()
            #expect(server.exitedCleanly, "\(server.stderr.suffix(2000))")
            let requests = gcs.gcsRequests()
            #expect(requests.contains("GCS repo/prod/add/1/model.onnx token=metadata"), "\(requests)")
            #expect(requests.filter { $0.hasPrefix("GCS repo/") }.count == 2)  // each object downloaded once
        }
    }
}

/// Puts fixture `model` in a test's bucket at `path`, staged in `staging` and moved in: the
/// bucket never lists half a file.
private func putObject(_ model: String, at path: String, staging: TemporaryFolder) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let staged = staging.path + "/staged-" + UUID().uuidString
    try FileManager.default.copyItem(atPath: Fixtures.model(model), toPath: staged)
    try FileManager.default.moveItem(atPath: staged, toPath: path)
}

/// A server polling a bucket whose `add` model serves: `put` adds `mobilenet`, which must load,
/// then `remove` deletes `add`, which must unload; the server still runs.
private func followsBucket(_ server: ServeProcess, put: () throws -> Void, remove: () throws -> Void) async throws {
    func wait(_ what: String, until condition: ([String: RepositoryIndex.Entry]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let index = try? RepositoryIndex.fetchAll(port: server.port), condition(index) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what); server log: \(server.stderr.suffix(2000))")
    }
    try await wait("add READY") { $0["add"]?.state == "READY" }
    try put()
    try await wait("mobilenet READY") { $0["mobilenet"]?.state == "READY" }
    try remove()
    try await wait("add unloaded") { $0["add"]?.state != "READY" }
    #expect(server.process.isRunning)
}
