import Foundation
import LedgeTesting
import Testing

/// `ledge inspect` end to end, text and JSON.
@Suite(.ownThread) struct InspectCLITests {
    func json(_ model: String) throws -> [String: Any] {
        let result = try ProcessRunner.ledge(["inspect", "--json", Fixtures.model(model)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func tfliteJSON() throws {
        let j = try json("efficientnet_lite0.tflite")
        #expect(j["format"] as? String == "tflite")
        #expect(j["runtime"] as? String == "litert")
        #expect(j["runtime_version"] as? String == "2.3.0")
        #expect(j["size_bytes"] as? Int == 5_434_493)
        #expect(j["quantized"] as? String == "yes")
        let input = try #require((j["inputs"] as? [[String: Any]])?.first)
        #expect(input["name"] as? String == "images")
        #expect(input["dtype"] as? String == "uint8")
        #expect(input["shape"] as? [Int] == [1, 224, 224, 3])
        let q = try #require(input["quantization"] as? [String: Any])
        #expect(abs((q["scale"] as? Double ?? 0) - 0.012566) < 1e-5)
        #expect(q["zero_point"] as? Int == 131)
        let output = try #require((j["outputs"] as? [[String: Any]])?.first)
        #expect(output["shape"] as? [Int] == [1, 1000])
        let meta = try #require(j["metadata"] as? [String: Any])
        #expect(meta["labels_count"] as? Int == 1000)
        #expect(meta["associated_files"] as? [String] == ["labels_without_background.txt"])
        let ops = try #require(j["operators"] as? [[String: Any]])
        #expect(ops.contains { $0["op"] as? String == "CONV_2D" && $0["count"] as? Int == 33 })
    }

    @Test func onnxJSONHasDynamicDimsAndNullQuantization() throws {
        let j = try json("ch_ppocr_mobile_v2.0_cls_infer.onnx")
        #expect(j["format"] as? String == "onnx")
        #expect(j["runtime"] as? String == "onnxruntime")
        #expect(j["runtime_version"] as? String == "1.31.1")
        #expect(j["quantized"] as? String == "no")
        let input = try #require((j["inputs"] as? [[String: Any]])?.first)
        #expect(input["dtype"] as? String == "float32")
        #expect(input["shape"] as? [Int] == [-1, 3, -1, -1])
        #expect(input["quantization"] is NSNull)
        let gen = try json("mobilenet_gen.onnx")
        #expect((gen["outputs"] as? [[String: Any]])?.first?["shape"] as? [Int] == [-1, 1000])
        // A model without model_version has none (ONNX Runtime reports Int64.max for it: it was shown as the version).
        let metadata = try #require(try json("mlp_gen.onnx")["metadata"] as? [String: Any])
        #expect(metadata["name"] as? String == "mlp_gen")
        #expect(metadata["version"] == nil || metadata["version"] is NSNull, "\(metadata)")
    }

    @Test func textReport() throws {
        let result = try ProcessRunner.ledge(["inspect", Fixtures.model("efficientnet_lite0.tflite")])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("format:     tflite (LiteRT 2.3.0)"))
        #expect(lines.contains("quantized:  yes"))
        #expect(lines.contains("  images   uint8    [1, 224, 224, 3]  scale 0.012566017 zero_point 131"))
        #expect(lines.contains("  Softmax  uint8    [1, 1000]         scale 0.00390625 zero_point 0"))
        #expect(lines.contains("  labels:      1000"))
        #expect(lines.contains("  CONV_2D            × 33"))
    }
}
