import Foundation
import LedgeTesting
import Testing

/// Bad input gets one clear line on stderr and the documented exit code; never a crash or hang.
@Suite(.ownThread) struct ErrorCLITests {
    static let effnet = Fixtures.model("efficientnet_lite0.tflite")

    func expectError(
        _ args: [String], status: Int32, message: String,
        environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try ProcessRunner.ledge(args, environment: environment)
        #expect(!result.signaled && !result.timedOut, sourceLocation: sourceLocation)
        #expect(result.status == status, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr == message + "\n", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func missingModel() throws {
        try expectError(
            ["inspect", "/nonexistent/model.tflite"], status: 3,
            message: "error: model file not found: /nonexistent/model.tflite")
        try expectError(
            ["classify", "-m", "/nonexistent/model.onnx", "-i", Fixtures.image("chelsea.jpg")], status: 3,
            message: "error: model file not found: /nonexistent/model.onnx")
    }

    @Test func emptyModel() throws {
        let path = Fixtures.model("empty.onnx")
        try expectError(["inspect", path], status: 3, message: "error: model file is empty: \(path)")
    }

    @Test func randomBytesNamedTflite() throws {
        let path = Fixtures.model("random.tflite")
        try expectError(
            ["inspect", path], status: 3,
            message:
                "error: \(path): not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf)")
    }

    @Test func pngNamedOnnx() throws {
        let path = Fixtures.model("fake.onnx")
        try expectError(
            ["inspect", path], status: 3,
            message:
                "error: \(path): not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf); it looks like a PNG image")
    }

    @Test func runtimeLibraryPathPointingNowhere() throws {
        try expectError(
            ["inspect", Self.effnet], status: 4,
            message:
                "error: LiteRT library not found at '/nowhere/libLiteRt.so' (from LEDGE_LITERT_LIBRARY); install it with 'pip install ai-edge-litert==2.3.0' or run 'make setup'",
            environment: ["LEDGE_LITERT_LIBRARY": "/nowhere/libLiteRt.so"])
        try expectError(
            ["inspect", Fixtures.model("add.onnx"), "--ort-library", "/nowhere/libonnxruntime.so"], status: 4,
            message:
                "error: ONNX Runtime library not found at '/nowhere/libonnxruntime.so' (from the path given); install it with 'pip install onnxruntime==1.31.1' or run 'make setup'"
        )
    }

    @Test func modelWhoseInputIsNotAnImage() throws {
        let path = Fixtures.model("add.onnx")
        try expectError(
            ["classify", "-m", path, "-i", Fixtures.image("chelsea.jpg")], status: 3,
            message:
                "error: \(path): model has 2 inputs (a, b), expected one image input")
    }

    @Test func zeroTopK() throws {
        let result = try ProcessRunner.ledge(["classify", "-m", Self.effnet, "-i", Fixtures.image("chelsea.jpg"), "-k", "0"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("Error: -k/--top-k must be at least 1, got 0\n"))
    }

    @Test func missingImage() throws {
        try expectError(
            ["classify", "-m", Self.effnet, "-i", "/nonexistent/cat.jpg"], status: 3,
            message: "error: image file not found: /nonexistent/cat.jpg")
    }

    @Test func truncatedModels() throws {
        let tflite = Fixtures.model("truncated.tflite")
        try expectError(
            ["inspect", tflite], status: 3,
            message:
                "error: \(tflite): truncated or corrupt TFLite model (operator_codes)")
        let onnx = Fixtures.model("truncated.onnx")
        try expectError(
            ["classify", "-m", onnx, "-i", Fixtures.image("chelsea.jpg")], status: 3,
            message:
                "error: \(onnx): truncated or corrupt ONNX model (the protobuf ends in the middle of a field)")
    }

    @Test(arguments: [
        ("truncated.jpg", "corrupt or truncated JPEG (Premature end of JPEG file)"),
        ("truncated.png", "corrupt or truncated PNG (unexpected end of data)"),
        ("empty.jpg", "empty file, expected a JPEG or PNG image"),
        ("text.jpg", "not a JPEG or PNG image"),
        ("huge_header.jpg", "image is 60000x60000 pixels, over the limit of 100 megapixels or 32768 pixels a side"),
    ])
    func badImages(image: String, problem: String) throws {
        let path = Fixtures.image(image)
        try expectError(["classify", "-m", Self.effnet, "-i", path], status: 3, message: "error: \(path): \(problem)")
    }

    @Test func dynamicInputWithoutSize() throws {
        try expectError(
            ["classify", "-m", Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"), "-i", Fixtures.image("chelsea.jpg")],
            status: 2, message: "error: model input 'x' has dynamic height/width [-1, 3, -1, -1]; pass --input-size HxW")
    }

    @Test func libraryThatIsNotTheRuntime() throws {
        let libz = ["/lib/x86_64-linux-gnu/libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1"].first { FileManager.default.fileExists(atPath: $0) }
        let path = try #require(libz)
        try expectError(
            ["inspect", Fixtures.model("add.onnx")], status: 4,
            message:
                "error: '\(path)' is not an ONNX Runtime library (it has no OrtGetApiBase); install it with 'pip install onnxruntime==1.31.1' or run 'make setup'",
            environment: ["LEDGE_ORT_LIBRARY": path])
    }

    /// Outputs that would destroy what is there: someone's folder, the model being measured or
    /// quantized; and sizes that cannot be allocated. One line each, nothing touched.
    @Test func outputsNeverDestroyWhatIsThere() throws {
        let dir = NSTemporaryDirectory() + "ledge-outputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/mine", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "keep me".write(toFile: dir + "/mine/precious.txt", atomically: false, encoding: .utf8)
        let model = dir + "/add.onnx"
        try FileManager.default.copyItem(atPath: Fixtures.model("add.onnx"), toPath: model)
        let original = try Data(contentsOf: URL(fileURLWithPath: model))
        let held = "the folder holds other files (precious.txt)"
        try expectError(
            ["package", "-m", model, "-o", dir + "/mine"], status: 2,
            message: "error: -o \(dir)/mine: \(held): expected a new path, an empty folder or an earlier OCI layout")
        try expectError(
            ["package", "-m", model, "--context", dir + "/mine"], status: 2,
            message: "error: --context \(dir)/mine: \(held): expected a new path, an empty folder or an earlier build context")
        try expectError(
            ["deploy", "k8s", "--image", "registry.example.com/add:1", "-o", dir + "/mine"], status: 2,
            message: "error: -o \(dir)/mine: \(held): expected a new path, an empty folder or an earlier folder of manifests")
        try expectError(
            ["package", "-m", model, "--format", "oci-archive", "-o", model], status: 2,
            message: "error: -o \(model) holds the input \(model): writing the image archive there would destroy it")
        try expectError(
            ["bench", "-m", model, "--runs", "2", "--output", model], status: 3,
            message: "error: --output \(model) is the input \(model): writing it would destroy it; expected another path")
        try expectError(
            ["quantize", model, "-o", model, "--dynamic"], status: 3,
            message: "error: --output \(model) is the input \(model): writing it would destroy it; expected another path")
        try expectError(
            ["deploy", "k8s", "--image", "registry.example.com/add:1", "-o", dir + "/missing/k"], status: 2,
            message: "error: -o \(dir)/missing/k: folder not found: \(dir)/missing")
        #expect(!FileManager.default.fileExists(atPath: dir + "/missing"))  // it was made, silently
        try expectError(
            ["deploy", "k8s", "--image", "registry.example.com/add:1", "-o", "/proc/ledge-k8s"], status: 3,
            message: "error: cannot write manifests to /proc/ledge-k8s: No such file or directory")
        let mlp = Fixtures.model("mlp_gen.onnx")
        try expectError(
            ["quantize", mlp, "-o", dir + "/q.onnx", "--dynamic", "--exclude", "NoSuchNode"], status: 2,
            message: "error: --exclude NoSuchNode: no node or operator type of \(mlp) is called so")
        try expectError(
            ["classify", "-m", Self.effnet, "-i", Fixtures.image("chelsea.jpg"), "-t", "nan"], status: 2,
            message:
                "Error: -t/--threshold must be a finite score, got nan\nUsage: ledge classify [<options>] --model <model>\n  See 'ledge classify --help' for more information."
        )
        #expect(try String(contentsOfFile: dir + "/mine/precious.txt", encoding: .utf8) == "keep me")
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == original)
        try expectError(
            [
                "classify", "-m", Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"), "-i", Fixtures.image("chelsea.jpg"), "--input-size",
                "30000x30000",
            ],
            status: 2, message: "error: --input-size 30000x30000 is 900 megapixels: expected at most 100 (as an image may have)")
        let huge = try ProcessRunner.ledge(["bench", "-m", Fixtures.model("mobilenet_gen.onnx"), "--runs", "1", "--warmup", "0", "--batch", "65536"])
        #expect(huge.status == 2 && !huge.signaled, "\(huge.stderr)")
        #expect(
            huge.stderr.hasPrefix("error: --batch 65536: the input tensors would take 39.5 GB, more than half of this machine's "), "\(huge.stderr)")
    }

    /// The tag an image gets inside -o is one Docker and registries read (a space, capitals in the
    /// name, an empty tag were written into the archive as given).
    @Test func imageTagsAreChecked() throws {
        let add = Fixtures.model("add.onnx")
        let out = NSTemporaryDirectory() + "ledge-tag-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        for tag in ["Bad Tag:1", "UPPER/x:1", "x:", "x:" + String(repeating: "t", count: 129)] {
            try expectError(
                ["package", "-m", add, "-o", out, "--tag", tag], status: 2,
                message: "error: --tag '\(tag)': expected NAME:TAG with a lowercase name and a tag of letters, digits, '_', '.' and '-' (at most 128)"
            )
        }
        try expectError(
            ["package", "-m", add, "-o", out, "--version", "1.0 beta"], status: 2,
            message:
                "error: the default tag 'ledge-add:1.0 beta' is not a valid image reference (from the model name and --version '1.0 beta'): give --tag NAME:TAG"
        )
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
