import Foundation
import LedgeCore
import LedgeEngine
import LedgeTesting
import Logging
import Testing

/// `ledge classify` end to end: the real binary, the real runtimes, the real photos.
@Suite(.ownThread) struct ClassifyCLITests {
    static let effnet = "efficientnet_lite0.tflite"

    struct Output: Decodable {
        struct Result: Decodable {
            struct Top: Decodable { var index: Int; var label: String; var score: Float }
            var image: String
            struct Timing: Decodable { var decode, preprocess, infer, postprocess: Int; var total: Int? }
            var times_us: [Int]
            var timing_us: Timing
            var top: [Top]
        }
        var model: String
        var results: [Result]
    }

    func classify(_ model: String, _ images: [String], extra: [String] = []) throws -> Output {
        var args = ["classify", "-m", Fixtures.model(model), "-k", "5", "-c", "2", "--json"] + extra
        for image in images { args += ["-i", Fixtures.image(image)] }
        let result = try ProcessRunner.ledge(args)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
    }

    @Test(arguments: [
        ("chelsea.jpg", 285, "Egyptian cat"), ("chelsea.png", 285, "Egyptian cat"),
        ("coffee.jpg", 967, "espresso"), ("coffee.png", 967, "espresso"),
    ])
    func knownPhotosMatchThePythonRuntime(image: String, index: Int, label: String) throws {
        let reference = try #require(try Fixtures.classifyReference(model: Self.effnet)[image])
        let out = try classify(Self.effnet, [image])
        let top = try #require(out.results.first?.top)
        #expect(top.first?.index == index)
        #expect(top.first?.label == label)
        #expect(out.results[0].times_us.count == 2)
        #expect(out.results[0].timing_us.infer == out.results[0].times_us[0])
        #expect(out.results[0].timing_us.total == nil)
        for ref in reference.prefix(3) {
            let mine = top.first { $0.index == ref.index }
            #expect(mine != nil, "class \(ref.index) missing from the top 5 of \(image)")
            if let mine { #expect(abs(mine.score - ref.score) <= 0.03, "\(image) class \(ref.index): \(mine.score) vs \(ref.score)") }
        }
    }

    @Test func exifRotatedPhotoScoresLikeTheUprightOne() throws {
        let out = try classify(Self.effnet, ["chelsea.jpg", "chelsea_exif6.jpg"])
        let upright = out.results[0].top, rotated = out.results[1].top
        #expect(rotated.first?.index == 285)
        #expect(abs((rotated.first?.score ?? 0) - (upright.first?.score ?? 1)) <= 0.03)
        let reference = try #require(try Fixtures.classifyReference(model: Self.effnet)["chelsea_exif6.jpg"])
        #expect(abs((rotated.first?.score ?? 0) - reference[0].score) <= 0.03)
    }

    @Test func coralStyleTextBlocks() throws {
        let result = try ProcessRunner.ledge([
            "classify", "-m", Fixtures.model(Self.effnet), "-i", Fixtures.image("chelsea.jpg"), "-k", "3", "-c", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "----INFERENCE TIME----")
        let times = lines.filter { $0.range(of: #"^\d+\.\d\dms"#, options: .regularExpression) != nil }
        #expect(times.count == 3)
        #expect(times.first?.hasSuffix("(first, includes warm-up)") == true)
        let results = try #require(lines.firstIndex(of: "-------RESULTS--------"))
        #expect(lines.count == results + 4)
        #expect(lines[results + 1].hasPrefix("Egyptian cat: 0."))
    }

    /// A labels file whose count is not the model's classes (another model's, or cut short): a
    /// warning, the classes past it shown by index (it was silent).
    @Test func labelsOfAnotherCountAreWarnedAbout() throws {
        let path = NSTemporaryDirectory() + "ledge-labels-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "cat\ndog\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.ledge([
            "classify", "-m", Fixtures.model(Self.effnet), "-i", Fixtures.image("chelsea.jpg"), "-l", path, "-k", "1", "-c", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr
                == "warning: \(path) has 2 labels for the model's 1000 classes: labels may not be this model's; classes past them are shown by index\n"
        )
        #expect(result.stdout.contains("-------RESULTS--------\n285: 0."), "\(result.stdout)")  // Egyptian cat, by index
    }

    /// The Raspberry Pi tutorial's command as written (`--model --label --image`), with
    /// the labels file the tutorial downloads (here: the model's embedded labels, written out).
    @Test func tutorialCommandAsWritten() throws {
        let session = try ModelLoader.open(path: Fixtures.model(Self.effnet), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let labels = try #require(try ImagePipeline(info: session.info).labels)
        let path = NSTemporaryDirectory() + "ledge-tutorial-labels-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try labels.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.ledge([
            "classify", "--model", Fixtures.model(Self.effnet), "--label", path, "--image", Fixtures.image("chelsea.jpg"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let results = try #require(lines.firstIndex(of: "-------RESULTS--------"))
        #expect(lines[results + 1].hasPrefix("Egyptian cat: 0."))
    }

    @Test func exactDecodeKeepsTheTopClass() throws {
        let scaled = try classify(Self.effnet, ["chelsea_640x480.jpg"])
        let exact = try classify(Self.effnet, ["chelsea_640x480.jpg"], extra: ["--exact-decode"])
        #expect(scaled.results[0].top.first?.label == "Egyptian cat")
        #expect(exact.results[0].top.first?.label == "Egyptian cat")
    }

    @Test func largerKThanClassesReturnsEveryClass() throws {
        let out = try classify("ch_ppocr_mobile_v2.0_cls_infer.onnx", ["chelsea.jpg"], extra: ["--input-size", "48x192"])
        #expect(out.results[0].top.count == 2)
        #expect(Set(out.results[0].top.map(\.index)) == [0, 1])
    }

    @Test func onnxModelMatchesReference() throws {
        let reference = try #require(try Fixtures.classifyReference(model: "mobilenet_gen.onnx")["chelsea.jpg"])
        let out = try classify("mobilenet_gen.onnx", ["chelsea.jpg"])
        let top = out.results[0].top
        #expect(top.first?.index == reference.first?.index)
        #expect(top.first?.label == "\(reference.first?.index ?? -1)")
        for (mine, ref) in zip(top, reference) { #expect(abs(mine.score - ref.score) <= 0.002) }
    }

    /// `--onnx-cache`: the first run keeps the optimized graph, the second loads it (`-v` says so)
    /// and gives the same scores; with `none` nothing is written.
    @Test func onnxGraphCacheGivesTheSameScores() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-graphs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let first = try classify("mobilenet_gen.onnx", ["chelsea.jpg"], extra: ["--onnx-cache", cache])
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(entries.count == 1 && entries[0].hasSuffix(".onnx"), "\(entries)")
        let model = Fixtures.model("mobilenet_gen.onnx")
        let verbose = try ProcessRunner.ledge([
            "classify", "-m", model, "-i", Fixtures.image("chelsea.jpg"), "-k", "5", "--json", "--onnx-cache", cache, "-v",
        ])
        #expect(verbose.stderr.contains("debug: \(model): optimized graph from the cache (\(cache)/\(entries[0]))"), "\(verbose.stderr)")
        let second = try JSONDecoder().decode(Output.self, from: Data(verbose.stdout.utf8))
        #expect(second.results[0].top.map(\.index) == first.results[0].top.map(\.index))
        #expect(second.results[0].top.map(\.score) == first.results[0].top.map(\.score))
        // The default folder is under $XDG_CACHE_HOME; `none` writes nothing there.
        let xdg = cache + "-xdg"
        defer { try? FileManager.default.removeItem(atPath: xdg) }
        let arguments = ["classify", "-m", model, "-i", Fixtures.image("chelsea.jpg"), "-c", "1"]
        #expect(try ProcessRunner.ledge(arguments + ["--onnx-cache", "none"], environment: ["XDG_CACHE_HOME": xdg]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: xdg + "/ledge/onnx"))
        #expect(try ProcessRunner.ledge(arguments, environment: ["XDG_CACHE_HOME": xdg]).status == 0)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: xdg + "/ledge/onnx"))?.count == 1)
    }
}

@Suite(.ownThread) struct ProviderCLITests {
    @Test func unavailableProviderFallsBackToCPUWithAWarning() throws {
        let result = try ProcessRunner.ledge([
            "classify", "-m", Fixtures.model("mobilenet_gen.onnx"), "-i", Fixtures.image("coffee.png"), "-c", "1", "--provider", "cuda",
        ])
        #expect(result.status == 0)
        #expect(
            result.stderr
                == "warning: execution provider 'cuda' (CUDAExecutionProvider) is not in this ONNX Runtime library, which has AzureExecutionProvider, CPUExecutionProvider; falling back to CPU\n"
        )
        #expect(result.stdout.contains("-------RESULTS--------"))
    }
}
