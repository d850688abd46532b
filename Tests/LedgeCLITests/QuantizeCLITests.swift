import Foundation
import LedgeONNXModel
import LedgeTesting
import Testing

/// `ledge quantize` on the command line: bad input gets one line and the exit code of DESIGN.md,
/// and no output file; `--min-agreement` sets the exit code.
@Suite(.ownThread) struct QuantizeCLITests {
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-quantize-cli-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func make(_ name: String) throws -> String {
            try FileManager.default.createDirectory(atPath: path + "/" + name, withIntermediateDirectories: true)
            return path + "/" + name
        }
    }

    static let calibration = Fixtures.home + "/fixtures/quantize/ppocr_cls/calibration"

    @Test func badInputGetsOneLineAndNoOutput() throws {
        let folder = try Folder()
        let output = folder.path + "/out.onnx"
        let empty = try folder.make("empty")
        let broken = try folder.make("broken")
        try FileManager.default.copyItem(atPath: Fixtures.image("truncated.jpg"), toPath: broken + "/truncated.jpg")
        let ortInt8 = Fixtures.home + "/fixtures/quantize/ppocr_cls/ort_int8.onnx"
        // An opset older than 11: add.onnx relabelled as opset 10 (its Add means the same there).
        let old = folder.path + "/opset10.onnx"
        var add = try ONNXModelFile.read(Fixtures.model("add.onnx"))
        add.model.opsetImport[0].version = 10
        try add.write(to: old)

        let tflite = Fixtures.model("efficientnet_lite0.tflite")
        let mobilenet = Fixtures.model("mobilenet_gen.onnx")
        let cases: [([String], Int32, String)] = [
            (
                [tflite, "--calibration", Self.calibration], 3,
                "error: \(tflite): a TFLite model: ledge quantize takes ONNX models only (a TFLite model is quantized when TensorFlow's converter writes it)\n"
            ),
            (
                [ortInt8, "--calibration", Self.calibration], 3,
                "error: \(ortInt8): already quantized (405 quantization nodes, the first 'Constant@81_DequantizeLinear' (DequantizeLinear)): expected a float model\n"
            ),
            ([mobilenet, "--calibration", empty], 3, "error: --calibration \(empty): no .jpg, .jpeg, .png or .npy files in the folder\n"),
            ([mobilenet, "--calibration", broken], 3, "error: \(broken)/truncated.jpg: corrupt or truncated JPEG (Premature end of JPEG file)\n"),
            ([mobilenet, "--calibration", folder.path + "/nope"], 3, "error: --calibration \(folder.path)/nope: directory not found\n"),
            (
                [old, "--calibration", Self.calibration], 3,
                "error: \(old): opset 10: expected 11 or later (ledge quantize raises 11 and 12 to 13; convert older models with onnx.version_converter first)\n"
            ),
        ]
        for (arguments, status, message) in cases {
            let result = try ProcessRunner.ledge(["quantize"] + arguments + ["-o", output], timeLimit: 120)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr == message)
            #expect(!FileManager.default.fileExists(atPath: output), "\(arguments) left \(output)")
        }
        let usage = try ProcessRunner.ledge(["quantize", mobilenet, "-o", output], timeLimit: 60)
        #expect(usage.status == 2)
        #expect(usage.stderr.hasPrefix("Error: give --calibration DIR (images or .npy tensors), or --dynamic\n"))
    }

    /// The text classifier agrees with its float model on 95 % of the validation strips: a bound
    /// of 100 % fails with exit 1 after the report; the model is still written.
    @Test func minAgreementSetsTheExitCode() throws {
        let folder = try Folder()
        let output = folder.path + "/cls.onnx"
        let arguments = [
            "quantize", Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx"), "-o", output, "--calibration", Self.calibration,
            "--validate", Fixtures.home + "/fixtures/quantize/ppocr_cls/validation", "--input-size", "48x192", "--bench-runs", "5",
        ]
        let failed = try ProcessRunner.ledge(arguments + ["--min-agreement", "100"], timeLimit: 300)
        #expect(failed.status == 1, "\(failed.stderr)")
        // 95.5 % where this was written; ONNX Runtime's int8 kernels differ by CPU (72.7 % on x86 with
        // AVX2 only, where ONNX Runtime's own quantization agrees on 75.0 %): the report's figure.
        let line = try #require(failed.stdout.split(separator: "\n").first { $0.contains("top-1 agreement ") }, "\(failed.stdout)")
        let shown = try #require(line.split(separator: " ").dropFirst(2).first.map(String.init))
        let percent = try #require(Double(shown))
        #expect(line.contains("top-1 agreement  \(shown) % of 44 inputs"), "\(line)")
        #expect(percent >= 70 && percent < 100)
        #expect(failed.stderr == "error: top-1 agreement \(shown) % is below --min-agreement 100.0 %\n")
        #expect(failed.stdout.contains("opset 11 → 13"))
        #expect(failed.stdout.contains("\nweights          int8 per channel, symmetric, ±127\n"))
        #expect(failed.stdout.contains("latency p50      float "))
        #expect(FileManager.default.fileExists(atPath: output))
        let passed = try ProcessRunner.ledge(arguments + ["--min-agreement", String(Int(percent.rounded(.down))), "--json"], timeLimit: 300)
        #expect(passed.status == 0, "\(passed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(passed.stdout.utf8)) as? [String: Any])
        #expect(report["opset_raised_from"] as? Int == 11)
        #expect((report["latency"] as? [String: Any])?["runs"] as? Int == 5)
        // The --reduce-range note: on x86 with AVX2 and no VNNI only (this machine's flags, read here on their own).
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("flags") }
        let words = Set(flags?.split(separator: " ") ?? [])
        let saturating = words.contains("avx2") && !words.contains("avx512_vnni") && !words.contains("avx_vnni")
        #expect(report["cpu_without_vnni"] as? Bool == saturating)
        #expect(
            failed.stdout.contains(
                "\nnote             this x86 CPU has AVX2 but no VNNI: its int8 kernels can saturate on ±127 weights; compare with --reduce-range\n")
                == saturating, "\(failed.stdout)")
    }

    /// `--reduce-range` reaches the quantizer and the report: seven-bit weights, in the table and the JSON.
    @Test func reduceRangeIsReported() throws {
        let folder = try Folder()
        let arguments = ["quantize", Fixtures.model("mlp_gen.onnx"), "--dynamic", "--bench-runs", "0", "--reduce-range"]
        let table = try ProcessRunner.ledge(arguments + ["-o", folder.path + "/table.onnx"], timeLimit: 120)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("\nweights          int8 per channel, symmetric, ±64 (--reduce-range)\n"), "\(table.stdout)")
        let json = try ProcessRunner.ledge(arguments + ["-o", folder.path + "/json.onnx", "--json"], timeLimit: 120)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["weight_limit"] as? Int == 64)
        let weights = try ONNXModelFile.read(folder.path + "/json.onnx").model.graph.initializer.filter {
            $0.dataType == Onnx_TensorProto.int8Type && $0.name.hasSuffix("_quantized")
        }
        #expect(weights.count == 3 && weights.allSatisfy { ($0.integerValues ?? []).map { abs($0) }.max() == 64 })
    }
}
