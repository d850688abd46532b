import LedgeCore
@testable import LedgeFetch
import Testing

/// What a Hub repository's listing makes ``HuggingFaceSnapshot`` fetch, without a Hub.
@Suite struct HuggingFaceSnapshotTests {
    func snapshot(_ folder: String = "", revision: String = "main", model: String? = nil, pin: String? = nil) -> HuggingFaceSnapshot {
        HuggingFaceSnapshot(
            hub: HuggingFaceSettings(environment: ["HOME": "/nonexistent"]), repository: "acme/cats", revision: revision, folder: folder,
            label: "hf://acme/cats", model: model, pin: pin)
    }

    @Test func theModelItsExternalDataAndTheConfigFilesBesideIt() throws {
        let hub = [
            "README.md", "config.json", "preprocessor_config.json", "onnx/model.onnx", "onnx/model.onnx_data", "onnx/model_fp16.onnx",
            "onnx/model_quantized.onnx", "tokenizer.json",
        ]
        #expect(
            try snapshot().selection(from: hub, commit: "c0") == [
                "onnx/model.onnx", "onnx/model.onnx_data", "preprocessor_config.json", "config.json",
            ])
        // A folder of its own: the folder's config files first, the repository's above onnx/ otherwise.
        let nested = ["v2/model.tflite", "v2/config.json", "config.json", "preprocessor_config.json"]
        #expect(try snapshot("v2/").selection(from: nested, commit: "c0") == ["v2/model.tflite", "v2/config.json"])
        #expect(try snapshot().selection(from: ["weights/only.onnx"], commit: "c0") == ["weights/only.onnx"])
        // A named model: it, with the config files its export keeps (above onnx/), whatever else is there.
        #expect(
            try snapshot(model: "onnx/model_quantized.onnx").selection(from: hub, commit: "c0") == [
                "onnx/model_quantized.onnx", "preprocessor_config.json", "config.json",
            ])
        #expect(try snapshot(model: "onnx/model.onnx").selection(from: hub, commit: "c0").count == 4)
        let missing = #expect(throws: LedgeError.self) { try snapshot(model: "onnx/model_q4.onnx").selection(from: hub, commit: "c0") }
        #expect(missing?.message == "hf://acme/cats: no file onnx/model_q4.onnx in acme/cats at main (c0)")
        #expect(HuggingFaceSnapshot.isModelFile("onnx/model.ONNX") && HuggingFaceSnapshot.isModelFile("m.tflite"))
        #expect(!HuggingFaceSnapshot.isModelFile("models.tar.gz") && !HuggingFaceSnapshot.isModelFile("onnx/model.onnx_data"))
    }

    @Test func pathsThatWouldLeaveTheEntryAreUnsafe() {
        for path in ["onnx/model.onnx", "a/b/c.json", ".gitattributes"] { #expect(HuggingFaceSnapshot.isSafe(path), "\(path)") }
        for path in ["../x.onnx", "onnx/../../x", "/etc/passwd", "a//b", "./a", "a/.", "", "a\0b"] {
            #expect(!HuggingFaceSnapshot.isSafe(path), "\(path)")
        }
    }

    @Test func onlyACommitOrAPinnedModelIsAKey() {
        #expect(snapshot().fixedKey == nil)
        #expect(snapshot(revision: "v1.0").fixedKey == nil)
        let commit = String(repeating: "ab", count: 20)
        #expect(snapshot(revision: commit).fixedKey != nil)
        #expect(snapshot(revision: commit).fixedKey != snapshot("onnx/", revision: commit).fixedKey)
        #expect(snapshot(revision: commit.uppercased()).fixedKey == nil)
        // A named model: at a commit, or by a branch with a pin (each pin its own key).
        let pin = String(repeating: "0", count: 64), other = String(repeating: "1", count: 64)
        #expect(snapshot(model: "onnx/model.onnx").fixedKey == nil)
        let keys = [
            snapshot(model: "onnx/model.onnx", pin: pin), snapshot(model: "onnx/model.onnx", pin: other),
            snapshot(revision: commit, model: "onnx/model.onnx"), snapshot("onnx/", revision: commit, model: "onnx/model.onnx", pin: pin),
        ].compactMap(\.fixedKey)
        #expect(Set(keys).count == 4 && !keys.contains(snapshot("onnx/", revision: commit).fixedKey ?? ""))
    }
}
