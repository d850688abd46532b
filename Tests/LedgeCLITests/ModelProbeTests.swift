import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgeTesting
import Testing

/// No model file can take `ledge serve` down: a file that crashes LiteRT, one
/// that hangs ONNX Runtime and one that exhausts memory are probed in a child
/// process, reported with their file and what happened, and skipped while the
/// good models serve. The CLI commands print one line on a runtime crash.
@Suite(.serialized, .ownThread) struct ModelProbeTests {
    /// A temporary probe cache, removed at the end of the test.
    final class Cache {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-probe-\(UUID().uuidString)").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var entries: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().compactMap {
                try? String(contentsOfFile: path + "/" + $0, encoding: .utf8)
            }
        }
    }

    static let crashLine = "the model crashed the runtime while loading or running in the probe (signal 11, SIGSEGV); memory bound 4096 MB"

    @Test(arguments: ["inspect", "classify"])
    func cliCommandsPrintOneLineWhenTheRuntimeCrashes(_ command: String) throws {
        let bad = try BadModels.path("crash_runtime.tflite")
        let arguments = command == "inspect" ? ["inspect", bad] : ["classify", "-m", bad, "-i", Fixtures.image("chelsea.jpg")]
        let result = try ProcessRunner.ledge(arguments, timeLimit: 60)
        #expect(result.signaled)
        #expect(result.stderr == "error: \(bad): the runtime crashed (signal 11, SIGSEGV)\n")
    }

    @Test func crashingModelIsSkippedAndTheGoodOneServes() async throws {
        let cache = Cache()
        let bad = try BadModels.path("crash_runtime.tflite")
        let server = try await ServeProcess.start([
            "-m", bad, "--name", "bad", "-m", Fixtures.model("efficientnet_lite0.tflite"), "--name", "good",
            "--probe-cache", cache.path,
        ])
        let base = server.base
        let notServed = "error: model 'bad' not served: \(bad): \(Self.crashLine)"
        #expect(try await server.log(whenALine: { $0 == notServed }).contains(notServed + "\n"))
        // The good model classifies a photo.
        var request = URLRequest(url: try #require(URL(string: base + "/models/good/classify?top_k=1")))
        request.httpMethod = "POST"
        request.setValue("image/jpeg", forHTTPHeaderField: "Content-Type")
        request.httpBody = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains("\"label\":\"Egyptian cat\""))
        // The repository index lists the bad one as UNAVAILABLE with the reason.
        var index = URLRequest(url: try #require(URL(string: base + "/repository/index")))
        index.httpMethod = "POST"
        let (listing, _) = try await URLSession.shared.data(for: index)
        struct Entry: Decodable, Equatable { var name: String; var state: String; var reason: String? }
        let entries = try JSONDecoder().decode([Entry].self, from: listing)
        #expect(
            entries == [
                Entry(name: "bad", state: "UNAVAILABLE", reason: "\(bad): \(Self.crashLine)"),
                Entry(name: "good", state: "READY", reason: nil),
            ])
        try await server.terminate()
        #expect(server.exitedCleanly)
        // Both results are cached by content: the crash, and the pass with the probe's peak memory.
        let entriesInCache = cache.entries
        #expect(entriesInCache.count == 2)
        #expect(entriesInCache.contains("failed \(Self.crashLine)\n"))
        #expect(entriesInCache.contains { $0.hasPrefix("passed ") })
    }

    /// `--onnx-cache`: the probe child optimizes the model and keeps the graph, the
    /// server's instances load that graph, and answer as the model does; a second
    /// start finds it too. `none` writes nothing.
    @Test func theProbeKeepsTheOptimizedGraphAndTheServerLoadsIt() async throws {
        let probeCache = Cache()
        let graphs = Cache()
        let model = Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")
        let values: [String] = (0..<(3 * 48 * 192)).map { (i: Int) -> String in String(Double(i % 97) / 97) }
        let head = #"{"inputs":[{"name":"x","shape":[1,3,48,192],"datatype":"FP32","data":["#
        let body: String = head + values.joined(separator: ",") + "]}]}"
        var outputs: [[Double]] = []
        for round in 0..<2 {
            let server = try await ServeProcess.start([
                "-m", model, "--name", "cls", "--instances", "2", "--threads", "1", "--probe-cache", probeCache.path,
                "--onnx-cache", graphs.path, "--log-level", "debug",
            ])
            var request = URLRequest(url: try #require(URL(string: server.base + "/models/cls/infer")))
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await URLSession.shared.upload(for: request, from: Data(body.utf8))
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            outputs.append(((json?["outputs"] as? [[String: Any]])?.first?["data"] as? [Double]) ?? [])
            try await server.terminate()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: graphs.path)) ?? []
            #expect(names.count == 1 && names[0].hasSuffix(".onnx"), "round \(round): \(names)")
            let log: String = server.stderr
            let hits: Int = log.components(separatedBy: "\(model): optimized graph from the cache").count - 1
            #expect(hits == 2, "round \(round): both instances load the kept graph\n\(server.stderr)")
        }
        #expect(outputs[0].count == 2 && outputs[0] == outputs[1], "\(outputs)")
        // The same request without the cache: the same scores.
        let home = Cache()  // $XDG_CACHE_HOME: the probe cache goes there, no graph does
        let plain = try await ServeProcess.start(
            ["-m", model, "--name", "cls", "--onnx-cache", "none"], environment: ["XDG_CACHE_HOME": home.path])
        var request = URLRequest(url: try #require(URL(string: plain.base + "/models/cls/infer")))
        request.httpMethod = "POST"
        let (data, _) = try await URLSession.shared.upload(for: request, from: Data(body.utf8))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let scores = ((json?["outputs"] as? [[String: Any]])?.first?["data"] as? [Double]) ?? []
        let close: Bool = scores.count == 2 && zip(scores, outputs[0]).allSatisfy { (a: Double, b: Double) -> Bool in abs(a - b) <= 1e-5 }
        #expect(close, "\(scores)")
        try await plain.terminate()
        #expect(FileManager.default.fileExists(atPath: home.path + "/ledge/probe"))
        #expect(!FileManager.default.fileExists(atPath: home.path + "/ledge/onnx"))
    }

    /// A device release starts `ledge` through its own dynamic loader (`ld-linux… ledge serve`):
    /// /proc/self/exe is then the loader, and the probe must re-execute the program through it.
    @Test func probeWorksWhenLedgeRunsThroughItsDynamicLoader() async throws {
        let cache = Cache()
        let bad = try BadModels.path("crash_runtime.tflite")
        let server = try await ServeProcess.start(
            ["-m", bad, "--name", "bad", "-m", Fixtures.model("efficientnet_lite0.tflite"), "--name", "good", "--probe-cache", cache.path],
            launcher: ["/lib64/ld-linux-x86-64.so.2"], environment: ["LD_LIBRARY_PATH": "/opt/swift/usr/lib/swift/linux"])
        // The crash is found in the child and the good model is served: both probes really ran.
        let notServed = "error: model 'bad' not served: \(bad): \(Self.crashLine)"
        #expect(try await server.log(whenALine: { $0 == notServed }).contains(notServed + "\n"))
        #expect(cache.entries.contains { $0.hasPrefix("passed ") })
        try await server.terminate()
        #expect(server.exitedCleanly)
    }

    @Test func aCrashingModelAloneExitsWithOneLine() throws {
        let cache = Cache()
        let bad = try BadModels.path("crash_runtime.tflite")
        for _ in 0..<2 {  // the second run answers from the cache, with the same line
            let result = try ProcessRunner.ledge(["serve", "-m", bad, "--port", "0", "--probe-cache", cache.path], timeLimit: 60)
            #expect(result.status == 3 && !result.signaled)
            #expect(result.stderr == "error: \(bad): \(Self.crashLine)\n")
        }
        #expect(cache.entries == ["failed \(Self.crashLine)\n"])
    }

    @Test func aHangingModelIsKilledAtTheProbeTimeout() throws {
        let cache = Cache()
        let hang = try BadModels.path("hang.onnx")
        let result = try ProcessRunner.ledge(
            ["serve", "-m", hang, "--port", "0", "--probe-cache", cache.path, "--probe-timeout", "2"], timeLimit: 60)
        #expect(result.status == 3)
        #expect(result.stderr == "error: \(hang): the model did not load and run within 2 s in the probe (killed)\n")
        #expect(cache.entries.isEmpty)  // a time-out may be the machine's load: not cached
    }

    @Test func aModelExhaustingMemoryIsStoppedAtTheBound() throws {
        let cache = Cache()
        let hog = try BadModels.path("memory_hog.onnx")
        let result = try ProcessRunner.ledge(
            ["serve", "-m", hog, "--port", "0", "--probe-cache", cache.path, "--probe-memory", "1024"], timeLimit: 60)
        #expect(result.status == 3)
        #expect(result.stderr.hasPrefix("error: \(hog): the model exceeded the probe's memory bound of 1024 MB (onnxruntime: "))
        #expect(result.stderr.contains("Failed to allocate memory"))
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test func repeatedModelsAllServeAndDuplicateNamesAreRefused() async throws {
        let server = try await ServeProcess.start([
            "-m", Fixtures.model("add.onnx"), "--name", "x", "-m", Fixtures.model("efficientnet_lite0.tflite"), "--name", "y",
            "--no-probe",
        ])
        for name in ["x", "y"] {
            let (_, response) = try await URLSession.shared.data(from: try #require(URL(string: server.base + "/models/\(name)")))
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
        }
        try await server.terminate()

        let add = Fixtures.model("add.onnx")
        let twice = try ProcessRunner.ledge(["serve", "-m", add, "-m", add, "--port", "0", "--no-probe"], timeLimit: 60)
        #expect(twice.status == 2)
        #expect(twice.stderr == "error: model name 'add' is given twice (\(add)): expected one model per name\n")

        let names = try ProcessRunner.ledge(["serve", "-m", add, "-m", add, "--name", "a", "--port", "0"], timeLimit: 60)
        #expect(names.status == 2)
        #expect(names.stderr.hasPrefix("Error: give --name once per --model, in the same order: got 2 model(s) and 1 name(s)\n"))
    }
}
