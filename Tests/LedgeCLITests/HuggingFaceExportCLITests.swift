import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgeTesting
import Testing

/// `ledge inspect` and `ledge classify` on models exported the Hugging Face way
/// (`scripts/make_hf_exports.py`): what the `config.json` and `preprocessor_config.json`
/// beside them say, and one-line refusals of ones Ledge cannot follow.
@Suite(.ownThread) struct HuggingFaceExportCLITests {
    static let root = Fixtures.huggingFace("")

    /// classify's text output from its RESULTS line on (the labels and scores, without the timings).
    static func results(_ stdout: String) -> String {
        stdout.split(separator: "\n").drop { $0 != "-------RESULTS--------" }.joined(separator: "\n")
    }

    /// Whether `stdout`'s results are the ConvNeXT export's one class for rocket.jpg: Egyptian cat with
    /// logit 1.66478, within 1e-4 (ONNX Runtime's kernels for an AMD EPYC give 1.66477, an Intel's 1.66478).
    static func isEgyptianCat(_ stdout: String) -> Bool {
        let lines = results(stdout).split(separator: "\n")
        guard lines.count == 2, lines[1].hasPrefix("Egyptian cat: "), let logit = Double(lines[1].dropFirst("Egyptian cat: ".count)) else {
            return false
        }
        return abs(logit - 1.66478) <= 1e-4
    }

    @Test func inspectShowsTheRecipeAndWhereTheLabelsCameFrom() throws {
        let model = Self.root + "convnext/onnx/model.onnx"
        let result = try ProcessRunner.ledge(["inspect", model])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("  labels:      5 (\(Self.root)convnext/config.json)"))
        #expect(
            lines.contains(
                "  preprocess:  resize shortest edge to 256 (bicubic), center crop 224x224, ×1/255, mean 0.485,0.456,0.406, std 0.229,0.224,0.225 (\(Self.root)convnext/preprocessor_config.json)"
            ), "\(result.stdout)")
        let json = try ProcessRunner.ledge(["inspect", "--json", Self.root + "repo/mobilenet/1/model.onnx"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let meta = try #require(object["metadata"] as? [String: Any])
        #expect(meta["labels_source"] as? String == Self.root + "repo/mobilenet/config.json")
        #expect(
            meta["preprocessing"] as? [String: String] == [
                "source": Self.root + "repo/mobilenet/preprocessor_config.json",
                "steps": "resize shortest edge to 256 (bilinear), center crop 224x224, ×1/255, mean 0.5,0.5,0.5, std 0.5,0.5,0.5",
            ])
    }

    /// The model's input is [batch_size, num_channels, height, width], all dynamic: the recipe
    /// gives its size and channels, config.json its labels; negative logits are shown.
    @Test func classifyUsesTheLabelsAndShowsNegativeLogits() throws {
        let reference = try Fixtures.huggingFaceLogits()["repo/mobilenet"]?["coffee.jpg"]
        let expected = try #require(reference)
        let result = try ProcessRunner.ledge([
            "classify", "-m", Self.root + "repo/mobilenet/1/model.onnx", "-i", Fixtures.image("coffee.jpg"), "-k", "5", "-c", "1",
            "--exact-decode", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let top = try #require(((object["results"] as? [[String: Any]])?.first?["top"]) as? [[String: Any]], "\(result.stdout)")
        let labels = ["espresso", "cup", "coffee mug", "eggnog", "consomme"]
        let order = expected.indices.sorted { expected[$0] > expected[$1] }
        #expect(top.compactMap { $0["label"] as? String } == order.map { labels[$0] })
        for (entry, index) in zip(top, order) {
            let score = try #require(entry["score"] as? Double)
            #expect(abs(score - Double(expected[index])) <= 0.01, "\(labels[index]): \(score) vs \(expected[index])")
        }
        #expect(expected.allSatisfy { $0 < 0 })  // all hidden by a threshold of 0, as before
    }

    /// A repository whose model keeps its config files beside its version folder, and a
    /// downloaded Hub repository given as a model folder: the probe runs each on the recipe's
    /// image (its input leaves channels dynamic), the image endpoint names config.json's
    /// classes, with ONNX Runtime's scores.
    @Test(arguments: [
        (["--model-repository", "repo"], "mobilenet", "repo/mobilenet", "coffee.jpg", ["coffee mug", "espresso"]),
        // A downloaded Hub repository as a model folder: onnx/model.onnx, named after the folder.
        (["--model", "convnext"], "convnext", "convnext", "rocket.jpg", ["Egyptian cat", "Persian cat"]),
    ])
    func aServedExportClassifiesWithItsLabels(_ flags: [String], _ model: String, _ export: String, _ image: String, _ labels: [String])
        async throws
    {
        let expected = try #require(try Fixtures.huggingFaceLogits()[export]?[image])
        let server = try await ServeProcess.start([flags[0], Self.root + flags[1], "--no-grpc"])
        var request = URLRequest(url: try #require(URL(string: server.base + "/models/\(model)/classify?top_k=2")))
        request.httpMethod = "POST"
        request.setValue("image/jpeg", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.upload(
            for: request, from: try Data(contentsOf: URL(fileURLWithPath: Fixtures.image(image))))
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        let top = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["top"] as? [[String: Any]])
        #expect(top.compactMap { $0["label"] as? String } == labels)
        for entry in top {
            let index = try #require(entry["index"] as? Int), score = try #require(entry["score"] as? Double)
            // Both photos' short sides need their full decode for the 256 edge: as transformers' pixels.
            #expect(abs(score - Double(expected[index])) <= 0.01, "\(image) class \(index): \(score) vs \(expected[index])")
        }
        try await server.terminate()
    }

    /// A copy of the ViT export with `change` made to its preprocessor_config.json (or its
    /// config.json when `file` says), and the line `ledge inspect` refuses it with.
    func refusal(_ file: String = "preprocessor_config.json", _ change: (inout [String: Any]) -> Void) throws -> String {
        let folder = try TemporaryFolder()
        for name in ["model.onnx", "config.json", "preprocessor_config.json"] {
            try FileManager.default.copyItem(atPath: Self.root + "vit/" + name, toPath: folder.path + "/" + name)
        }
        let path = folder.path + "/" + file
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        let result = try ProcessRunner.ledge(["inspect", folder.path + "/model.onnx"])
        #expect(result.status == 3, "\(result.stdout)")
        return result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).replacing(folder.path + "/", with: "")
    }

    /// The model argument may be a model folder, as `serve --model DIR` reads it: a downloaded
    /// Hub repository's onnx/model.onnx, with its config files; a folder without a model is refused.
    @Test func aModelFolderIsItsModel() throws {
        let folder = try ProcessRunner.ledge(["classify", "-m", Self.root + "convnext", "-i", Fixtures.image("rocket.jpg"), "-k", "1", "-c", "1"])
        let file = try ProcessRunner.ledge([
            "classify", "-m", Self.root + "convnext/onnx/model.onnx", "-i", Fixtures.image("rocket.jpg"), "-k", "1", "-c", "1",
        ])
        #expect(folder.status == 0, "\(folder.stderr)")
        #expect(Self.isEgyptianCat(folder.stdout), "\(folder.stdout)")
        #expect(Self.results(folder.stdout) == Self.results(file.stdout))
        let empty = try TemporaryFolder()
        let refused = try ProcessRunner.ledge(["inspect", empty.path])
        #expect(refused.status == 3)
        #expect(
            refused.stderr
                == "error: model folder '\(empty.path)': expected version folders NAME/<n>/model.onnx or .tflite, one .onnx or .tflite file, or onnx/model.onnx, found none\n"
        )
    }

    /// bench's random inputs take the recipe's size and channels (the input leaves them dynamic);
    /// with photos, the recipe's preprocessing.
    @Test func benchFeedsTheRecipesImage() throws {
        let photos = try TemporaryFolder()
        for photo in ["chelsea.jpg", "rocket.jpg"] {
            try FileManager.default.copyItem(atPath: Fixtures.image(photo), toPath: photos.path + "/" + photo)
        }
        for extra in [[], ["--images", photos.path]] {
            let result = try ProcessRunner.ledge(["bench", "-m", Self.root + "vit/model.onnx", "--runs", "3", "--format", "json"] + extra)
            #expect(result.status == 0, "\(extra): \(result.stderr)")
            #expect(result.stdout.contains("\"count\" : 3"), "\(result.stdout)")
        }
    }

    /// quantize calibrates on photos prepared by the recipe and puts the config files beside its
    /// output, so the int8 model classifies with the export's labels (as Optimum's quantizer saves them).
    @Test func quantizeKeepsTheExportsConfigFiles() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path + "/photos", withIntermediateDirectories: true)
        for photo in ["chelsea.jpg", "coffee.jpg", "rocket.jpg"] {
            try FileManager.default.copyItem(atPath: Fixtures.image(photo), toPath: folder.path + "/photos/" + photo)
        }
        let output = folder.path + "/model_int8.onnx"
        let quantize = try ProcessRunner.ledge([
            "quantize", Self.root + "convnext/onnx/model.onnx", "-o", output, "--calibration", folder.path + "/photos", "--bench-runs", "3",
        ])
        #expect(quantize.status == 0, "\(quantize.stderr)")
        #expect(
            quantize.stdout.contains("config files     copied beside it: \(folder.path)/config.json, \(folder.path)/preprocessor_config.json"),
            "\(quantize.stdout)")
        let classify = try ProcessRunner.ledge(["classify", "-m", output, "-i", Fixtures.image("rocket.jpg"), "-k", "1", "-c", "1"])
        let expected = try #require(try Fixtures.huggingFaceLogits()["convnext"]?["rocket.jpg"])
        let best = try #require(expected.indices.max { expected[$0] < expected[$1] })
        let labels = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/config.json"))) as? [String: Any])
        let name = try #require((labels["id2label"] as? [String: String])?[String(best)])
        #expect(classify.stdout.contains("-------RESULTS--------\n\(name): "), "\(classify.stdout)")
    }

    /// `config.json` is a common name: one that is no JSON object is another tool's, and skipped.
    @Test func anotherToolsConfigJSONIsSkipped() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.copyItem(atPath: Self.root + "vit/model.onnx", toPath: folder.path + "/model.onnx")
        try FileManager.default.copyItem(atPath: Self.root + "vit/preprocessor_config.json", toPath: folder.path + "/preprocessor_config.json")
        try Data("threads = 4\n".utf8).write(to: URL(fileURLWithPath: folder.path + "/config.json"))
        let result = try ProcessRunner.ledge(["inspect", folder.path + "/model.onnx"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("labels:"))
        #expect(result.stdout.contains("  preprocess:  resize to 224x224 (bilinear), ×1/255, mean 0.5,0.5,0.5, std 0.5,0.5,0.5 ("))
    }

    @Test func filesLedgeCannotFollowAreRefusedInOneLine() throws {
        #expect(
            try refusal { $0["do_flip_channel_order"] = true }
                == "error: preprocessor_config.json: 'do_flip_channel_order': true is not supported (Ledge feeds the image resized, cropped and normalized)"
        )
        #expect(
            try refusal { $0["size"] = ["shortest_edge": 224] }
                == "error: preprocessor_config.json: 'size': a shortest edge without a center crop gives each image its own size; Ledge needs one input size"
        )
        #expect(
            try refusal { $0["size"] = ["longest_edge": 224] }
                == "error: preprocessor_config.json: 'size': expected an object with height and width, or shortest_edge (got keys [\"longest_edge\"])"
        )
        #expect(try refusal { $0["resample"] = 7 } == "error: preprocessor_config.json: 'resample': expected an integer from 0 to 5")
        #expect(try refusal { $0["image_std"] = [0.5, 0, 0.5] } == "error: preprocessor_config.json: 'image_std': expected values other than 0")
        #expect(
            try refusal { $0["image_mean"] = [0.5, 0.5] }
                == "error: preprocessor_config.json: 'image_mean': expected 1 or 3 values (config.json's num_channels)")
        #expect(
            try refusal("config.json") { $0["id2label"] = ["0": "a", "2": "c"] }
                == "error: config.json: 'id2label': key '2' is not a class index from 0 to 1")
        #expect(try refusal("config.json") { $0["id2label"] = ["0": "a", "1": 5] } == "error: config.json: 'id2label.1': expected a string")
        #expect(try refusal("config.json") { $0["num_channels"] = "3" } == "error: config.json: 'num_channels': expected an integer from 1 to 4")
    }
}
