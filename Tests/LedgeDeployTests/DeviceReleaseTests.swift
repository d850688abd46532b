import Foundation
import FoundationNetworking
import LedgeCore
import LedgeTesting
import Logging
import Testing

@testable import LedgeDeploy
@testable import LedgeRelease

/// A release as a device holds it, assembled here by the same script a device runs, and
/// started by its `run.sh`: its own loader and glibc serve the model.
@Suite(.serialized, .ownThread) struct DeviceReleaseTests {
    @Test func assembledReleaseServesThroughItsOwnLoaderAndLibraries() async throws {
        let root = NSTemporaryDirectory() + "ledge-device-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/store/sha256", withIntermediateDirectories: true)
        let bundle = try ReleaseBundle.build(
            ReleaseRequest(
                platform: .amd64, binary: Fixtures.ledgeExecutable,
                models: [RepositoryLayout.Entry(name: "effnet", model: Fixtures.model("efficientnet_lite0.tflite"), labels: nil)],
                platformsDirectory: Fixtures.home + "/platforms", scratchDirectory: root,
                metadata: ReleaseMetadata(title: "t", version: "1", created: 0, source: "", revision: "", description: "d")),
            logger: Logger(label: "test"))
        // More serve arguments go in serve.args, one per line (a space stays inside its argument): another release.
        let traceFile = root + "/trace dir/trace.json"
        try FileManager.default.createDirectory(atPath: root + "/trace dir", withIntermediateDirectories: true)
        let arguments = ["--trace-config", "triton,file=" + traceFile, "--trace-config", "level=TIMESTAMPS", "--trace-config", "rate=1"]
        let plain = try DeviceRelease(bundle: bundle)
        // Environment variables go in secrets/serve.env, one per line, readable by the release's user only.
        let variables = [
            ServeEnvironment.Variable(name: "MALLOC_ARENA_MAX", value: "4"), ServeEnvironment.Variable(name: "OTEL_SERVICE_NAME", value: "cam 1=a"),
        ]
        let argued = plain.configuring(serveArguments: arguments + ["--allow-client-shm"])
        let release = argued.configuring(serveEnvironment: variables)
        #expect(plain.configuring(serveArguments: []).id == plain.id && argued.configuring(serveEnvironment: []).id == argued.id)
        #expect(argued.id != plain.id && argued.id != plain.configuring(serveArguments: arguments).id)
        #expect(release.id != argued.id && release.id != argued.configuring(serveEnvironment: Array(variables.prefix(1))).id)
        #expect(release.entries.filter { $0 == .directory(path: "secrets", mode: 0o700) }.count == 1)
        let environmentObject = try #require(Self.object(of: "secrets/serve.env", in: release))
        guard case .bytes(let environmentBytes) = release.objects[environmentObject] else { throw CancellationError() }
        #expect(
            environmentObject.hasSuffix("-600")
                && String(decoding: environmentBytes, as: UTF8.self) == "MALLOC_ARENA_MAX=4\nOTEL_SERVICE_NAME=cam 1=a\n")
        let argumentsObject = try #require(Self.object(of: "serve.args", in: release))
        guard case .bytes(let argumentBytes) = release.objects[argumentsObject] else { throw CancellationError() }
        #expect(String(decoding: argumentBytes, as: UTF8.self) == (arguments + ["--allow-client-shm"]).map { $0 + "\n" }.joined())
        #expect(release.entries.contains(.symlink(path: "lib64/ld-linux-x86-64.so.2", target: "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")))
        // What an upload puts in the store: each object once, with its mode.
        for (name, content) in release.objects {
            let path = root + "/store/sha256/" + name
            switch content {
            case .file(let source): try FileManager.default.copyItem(atPath: source, toPath: path)
            case .bytes(let bytes): try Data(bytes).write(to: URL(fileURLWithPath: path))
            default: Issue.record("object \(name) is neither a file nor bytes")
            }
            let mode = Int(name.split(separator: "-").last ?? "644", radix: 8) ?? 0o644
            #expect(chmod(path, mode_t(mode)) == 0)
        }
        let script = release.assembleScript(root: root)
        for _ in 0..<2 {  // the second run finds the release complete and does nothing
            let assembled = try ProcessRunner.run("/bin/sh", ["-c", script])
            #expect(assembled.status == 0, "\(assembled.stderr)")
        }
        let folder = root + "/releases/" + release.id
        #expect(!FileManager.default.fileExists(atPath: folder + ".partial"))
        // Files are hard links to the store objects.
        let ledgeObject = try #require(Self.object(of: "usr/bin/ledge", in: release))
        let linked = try FileManager.default.attributesOfItem(atPath: folder + "/usr/bin/ledge")[.systemFileNumber] as? Int
        let stored = try FileManager.default.attributesOfItem(atPath: root + "/store/sha256/" + ledgeObject)[.systemFileNumber] as? Int
        #expect(linked == stored)

        // run.sh serves on loopback; the loader and glibc mapped are the release's.
        let cache = root + "/cache"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [folder + "/run.sh", "--port", "0"]
        process.environment = [
            "PATH": "/usr/bin:/bin", "LEDGE_HOST": "127.0.0.1", "LEDGE_GRPC_PORT": "0", "XDG_CACHE_HOME": cache, "HOME": root,
        ]
        let output = root + "/serve.out"
        FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        try process.run()
        defer {
            // Bounded: Foundation learns of the end from a monitor that a loaded run may delay.
            if process.isRunning {
                process.terminate()
                for _ in 0..<300 where process.isRunning { usleep(100_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        var port: String?
        for _ in 0..<300 where port == nil && process.isRunning {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: #/127\.0\.0\.1:(\d+)\/v2 /#).map { String($0.output.1) }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let served = try #require(port, "run.sh printed no URL: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(served)/v2/models/effnet/classify?top_k=1")))
        request.httpMethod = "POST"
        request.setValue("image/jpeg", forHTTPHeaderField: "Content-Type")
        request.httpBody = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
        let (body, _) = try await URLSession.shared.data(for: request)
        #expect(String(decoding: body, as: UTF8.self).contains("\"label\":\"Egyptian cat\""))
        // serve.args reached the server: tracing every request to the file, shared memory allowed.
        let (trace, _) = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(served)/v2/trace/setting")))
        let setting = try #require(try JSONSerialization.jsonObject(with: trace) as? [String: Any])
        #expect(setting["trace_level"] as? [String] == ["TIMESTAMPS"] && setting["trace_rate"] as? String == "1", "\(setting)")
        #expect(setting["trace_file"] as? String == traceFile, "\(setting)")
        let key = "/ledge-release-test-" + UUID().uuidString
        #expect(FileManager.default.createFile(atPath: "/dev/shm" + key, contents: Data(count: 64)))
        defer { try? FileManager.default.removeItem(atPath: "/dev/shm" + key) }
        var register = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(served)/v2/systemsharedmemory/region/r/register")))
        register.httpMethod = "POST"
        register.httpBody = Data(#"{"key": "\#(key)", "byte_size": 64}"#.utf8)
        let (registered, shm) = try await URLSession.shared.data(for: register)
        #expect((shm as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: registered, as: UTF8.self))")
        // run.sh exported serve.env's variables to the server, value as written.
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(process.processIdentifier)/environ")).split(separator: 0).map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(environ.contains("MALLOC_ARENA_MAX=4") && environ.contains("OTEL_SERVICE_NAME=cam 1=a"), "\(environ)")
        #expect(!environ.contains { $0.hasPrefix("SSL_CERT_FILE=") }, "this machine has its roots: \(environ)")
        let secretMode = try FileManager.default.attributesOfItem(atPath: folder + "/secrets/serve.env")[.posixPermissions] as? Int
        #expect(secretMode == 0o600)
        let maps = try ChrootProcess.mappedFiles(pid: process.processIdentifier)
        let real = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        #expect(maps.contains(real + "/lib/x86_64-linux-gnu/libc.so.6"), "\(maps)")
        #expect(maps.contains(real + "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"))
        #expect(!maps.contains { $0.hasPrefix("/lib/") || $0.hasPrefix("/usr/lib/") }, "\(maps)")
        // At SIGTERM the server writes the trace of the photo's request where serve.args said.
        process.terminate()
        for _ in 0..<300 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let traced = (try? String(contentsOfFile: traceFile, encoding: .utf8)) ?? ""
        #expect(traced.contains(#""model_name":"effnet""#) && traced.contains("HTTP_RECV_START"), "\(traced.prefix(300))")
        try Self.expectOwnRootsWithoutTheDevices(folder: folder)
    }

    /// On a device with no CA bundle where swift-nio-ssl looks (here: tmpfs over /etc/ssl and
    /// /etc/pki in a private mount namespace), the launcher points `SSL_CERT_FILE` at the release's.
    static func expectOwnRootsWithoutTheDevices(folder: String) throws {
        let script = """
            mount -t tmpfs ledge-test /etc/ssl
            if [ -d /etc/pki ]; then mount -t tmpfs ledge-test /etc/pki; fi
            unset SSL_CERT_FILE
            exec /bin/sh -x "$0" --version
            """
        let result = try ProcessRunner.run(
            "/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script, folder + "/ledge.sh"],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0 && result.stdout == LedgeVersion.current + "\n", "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("+ export SSL_CERT_FILE=\(folder)/etc/ssl/certs/ca-certificates.crt\n"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/etc/ssl/certs/ca-certificates.crt"))
    }

    /// The store object of the file at `path` in `release`.
    static func object(of path: String, in release: DeviceRelease) -> String? {
        release.entries.lazy.compactMap { entry -> String? in
            if case .file(path, let object) = entry { return object }
            return nil
        }.first
    }
}
