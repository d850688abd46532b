import LedgeCore
@testable import LedgeFetch
import Testing

/// What a Hub repository's listing makes ``HuggingFaceSnapshot`` fetch, without a Hub.
@Suite struct HuggingFaceSnapshotTests {
    func snapshot(_ folder: String = "", revision: String = "main") -> HuggingFaceSnapshot {
        HuggingFaceSnapshot(
            hub: HuggingFaceSettings(environment: ["HOME": "/nonexistent"]), repository: "acme/cats", revision: revision, folder: folder,
            label: "hf://acme/cats")
    }

    @Test func theModelItsExternalDataAndTheConfigFilesBesideIt() throws {
        let hub = [
            "README.md", "config.json", "preprocessor_config.json", "onnx/model.onnx", "onnx/model.onnx_data", "onnx/model_fp16.onnx",
            "onnx/model_quantized.onnx", "tokenizer.json",
        ]
        #expect(try snapshot().selection(from: hub) == ["onnx/model.onnx", "onnx/model.onnx_data", "preprocessor_config.json", "config.json"])
        // A folder of its own: the folder's config files first, the repository's above onnx/ otherwise.
        let nested = ["v2/model.tflite", "v2/config.json", "config.json", "preprocessor_config.json"]
        #expect(try snapshot("v2/").selection(from: nested) == ["v2/model.tflite", "v2/config.json"])
        #expect(try snapshot().selection(from: ["weights/only.onnx"]) == ["weights/only.onnx"])
    }

    @Test func pathsThatWouldLeaveTheEntryAreUnsafe() {
        for path in ["onnx/model.onnx", "a/b/c.json", ".gitattributes"] { #expect(HuggingFaceSnapshot.isSafe(path), "\(path)") }
        for path in ["../x.onnx", "onnx/../../x", "/etc/passwd", "a//b", "./a", "a/.", "", "a\0b"] {
            #expect(!HuggingFaceSnapshot.isSafe(path), "\(path)")
        }
    }

    @Test func onlyACommitIsAKey() {
        #expect(snapshot().commitKey == nil)
        #expect(snapshot(revision: "v1.0").commitKey == nil)
        let commit = String(repeating: "ab", count: 20)
        #expect(snapshot(revision: commit).commitKey != nil)
        #expect(snapshot(revision: commit).commitKey != snapshot("onnx/", revision: commit).commitKey)
        #expect(snapshot(revision: commit.uppercased()).commitKey == nil)
    }
}
